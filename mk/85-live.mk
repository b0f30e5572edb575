# The live view of a levée de doute: the recorder's rolling buffer of 1 s segments,
# played through the gateway's gate.
#   make bench-live   glass to glass (clock-coded camera -> HLS -> Chromium) and the
#                     gateway's cost per live viewer with one upstream per camera
.PHONY: bench-live
BENCH_TARGETS += bench-live

bench-live: setup ## live view: glass-to-glass latency per key-frame interval; viewers per gateway core
	bash scripts/system-deps.sh
	bash scripts/vendor-hls.sh
	$(BIN)/python benchmarks/live/bench_glass.py
	$(BIN)/python -m benchmarks.gateway.bench_live
