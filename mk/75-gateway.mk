# The levée de doute (issue 10): vigie-access, nginx auth_request, mosquitto TLS.
#   make test-gateway    real mosquitto, nginx and vigie-access on 127.0.0.1, footage cut by ffmpeg
#   make bench-gateway   auth_request decisions/s and p99 (50/200/1000 viewers), event -> grant
#   make wheelhouse      wheels of vigie and its dependencies for roles/access_gateway
.PHONY: test-gateway bench-gateway wheelhouse
TEST_TARGETS  += test-gateway
BENCH_TARGETS += bench-gateway


test-gateway: setup ## the levée de doute end to end on loopback (about 1 min)
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/pytest -q -p no:cacheprovider tests/gateway

bench-gateway: setup ## gateway decisions/s and p99 through nginx, event-to-grant latency
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/python benchmarks/gateway/bench.py

wheelhouse: setup ## rebuild .cache/wheels (vigie + dependencies) for roles/access_gateway
	bash scripts/vendor-hls.sh
	rm -rf .cache/wheels
	$(BIN)/python -m pip wheel --quiet --wheel-dir .cache/wheels ".[gateway]"
