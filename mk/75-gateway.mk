# The levée de doute: vigie-access, nginx auth_request, mosquitto TLS.
#   make test-gateway    real mosquitto, nginx and vigie-access on 127.0.0.1, footage cut by ffmpeg
#   make bench-gateway   auth_request decisions/s, per service core-s, p50/p99 (50/200/1000 viewers,
#                        open loop and saturation, lean mTLS client + ab; durable journal vs
#                        answering at once, ratios), event -> grant
#   make wheelhouse      wheels of vigie and its dependencies for roles/access_gateway
.PHONY: test-gateway bench-gateway wheelhouse
TEST_TARGETS  += test-gateway
BENCH_TARGETS += bench-gateway


test-gateway: setup ## the levée de doute end to end on loopback, page in Chromium (about 1 min)
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/pytest -q -p no:cacheprovider tests/gateway

# MQTT events acknowledged per second when a PUBACK waits for the journal's fsync,
# next to acknowledging at once (in process, the pilot's model; about 30 s).
.PHONY: bench-ack
BENCH_TARGETS += bench-ack
bench-ack: setup ## events acknowledged/s, durable ack vs ack at once
	$(BIN)/python benchmarks/gateway/bench_ack.py

bench-gateway: setup ## gateway decisions/s and p99 through nginx, durable journal vs answering at once (about 4 min), event-to-grant latency
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/python -m benchmarks.gateway.bench

wheelhouse: setup ## .cache/wheels for roles/access_gateway: the gateway lock's wheels, vigie, its SBOM
	bash scripts/gateway-wheelhouse.sh .cache/wheels

# The central services' roles join `make test-roles` (mk/30-roles.mk runs $(ROLES)
# at execution time; their rule uses the same recipe, molecule_recipe). access_gateway's
# converge builds .cache/wheels (scripts/gateway-wheelhouse.sh, cached on its inputs).
GATEWAY_ROLES := pki broker access_gateway
ROLES += $(GATEWAY_ROLES)
.PHONY: $(GATEWAY_ROLES:%=molecule-%)
$(GATEWAY_ROLES:%=molecule-%): molecule-%: setup
	$(molecule_recipe)
