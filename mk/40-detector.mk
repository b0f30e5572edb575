# The detector (issue 4): package, image, camera simulator, tests and benchmarks.
#   make test-detector    unit tests on real footage, replay, the image as a running container
#   make bench-detector   throughput (streams per core) and quality tables
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

bench-detector: setup
	$(BIN)/python detector_image/benchmarks/bench.py
