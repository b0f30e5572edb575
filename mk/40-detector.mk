# The detector: package, image, camera simulator, tests and benchmarks.
#   make test-detector    unit tests on real footage, replay, the image as a running container
#   make bench-detector   fire, intrusion, tamper, false-alarm and real-service tables
#                         BENCH_HOURS (video hours per false-alarm condition, default 24),
#                         BENCH_DEADLINE (Unix time: the false-alarm replay stops there and
#                         reports the hours it did), BENCH_TRIALS, BENCH_CAMERAS,
#                         BENCH_SECONDS, BENCH_PARTS: see
#                         detector_image/benchmarks/bench.py; fire clips: VIGIE_FOOTAGE_DIR
#   make detector-image   build vigie/detector:<version> and :latest (cached on a source hash)
.PHONY: test-detector bench-detector detector-image camera-sim-image
TEST_TARGETS  += test-detector
BENCH_TARGETS += bench-detector

detector-image: setup
	bash detector_image/build-image.sh

camera-sim-image: setup
	bash lab/camera_sim/build.sh

test-detector: setup detector-image camera-sim-image
	$(BIN)/pytest -q detector_image/tests

bench-detector: setup detector-image camera-sim-image
	$(BIN)/python detector_image/benchmarks/bench.py
