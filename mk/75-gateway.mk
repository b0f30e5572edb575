# The levée de doute (issue 10): vigie-access, nginx auth_request, mosquitto TLS.
#   make test-gateway    real mosquitto, nginx and vigie-access on 127.0.0.1, footage cut by ffmpeg
#   make bench-gateway   auth_request decisions/s, per service core-s, p50/p99 (50/200/1000 viewers,
#                        open loop and saturation, lean mTLS client + ab), event -> grant
#   make wheelhouse      wheels of vigie and its dependencies for roles/access_gateway
.PHONY: test-gateway bench-gateway wheelhouse
TEST_TARGETS  += test-gateway
BENCH_TARGETS += bench-gateway


test-gateway: setup ## the levée de doute end to end on loopback, page in Chromium (about 1 min)
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/pytest -q -p no:cacheprovider tests/gateway

bench-gateway: setup ## gateway decisions/s and p99 through nginx (about 1.5 min), event-to-grant latency
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/python benchmarks/gateway/bench.py

wheelhouse: setup ## rebuild .cache/wheels (vigie + dependencies) for roles/access_gateway
	bash scripts/vendor-hls.sh
	rm -rf .cache/wheels
	$(BIN)/python -m pip wheel --quiet --wheel-dir .cache/wheels ".[gateway]"

# The central services' roles join `make test-roles` (mk/30-roles.mk runs $(ROLES)
# at execution time; the rule for each is the same as there). access_gateway's
# converge builds .cache/wheels once (`make wheelhouse` rebuilds it).
GATEWAY_ROLES := pki broker access_gateway
ROLES += $(GATEWAY_ROLES)
.PHONY: $(GATEWAY_ROLES:%=molecule-%)
$(GATEWAY_ROLES:%=molecule-%): molecule-%: setup
	@mkdir -p $(MOLECULE_LOGS); start=$$(date +%s); \
	(cd roles/$* && $(CURDIR)/$(BIN)/molecule test) > $(MOLECULE_LOGS)/$*.log 2>&1; status=$$?; \
	echo "molecule $*: $$( [ $$status = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; \
	if [ $$status != 0 ]; then tail -n 60 $(MOLECULE_LOGS)/$*.log; fi; exit $$status
