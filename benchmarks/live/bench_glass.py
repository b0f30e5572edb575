"""Glass-to-glass latency of a low-latency HLS live view, on loopback, per
camera key-frame interval.

For each key-frame interval: a camera simulator burns the wall-clock time into
its frames (lab/camera_sim/camera_sim.py --clock-mount, real footage), ffmpeg
repackages its RTSP stream into HLS without re-encoding (segments of 1 s, cut
at key frames, so a 2 s GOP makes 2 s segments), a page plays it with the
vendored hls.js (about 1 s behind the live edge, catching up at up to 1.5x) in
headless Chromium, and lab/glass.py reads the code off every frame
shown. Printed: latency p50/p95/max, start-up from the click, drift (median of
the last 10 s minus the first 10 s), and how long frames keep being shown once
the source stops (the player's buffer: what a live view does after its grant
ends unless the page stops it). No vigie service: the route's own floor.

    .venv/bin/python benchmarks/live/bench_glass.py [--seconds 45] [--gop 1 2] [--sync 1]
        [--operator-settings]     # the page's own hls.js settings instead
        [--hls-extra 'liveSyncOnStallIncrease: 0']
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "shared")]

import glass_route  # noqa: E402

from lab import glass  # noqa: E402
from lab import workstation as ws  # noqa: E402


def one(gop: float, seconds: float, folder: Path, config: str) -> dict:
    route = glass_route.HlsRoute(folder, gop=gop, config=config)
    browser = ws.chromium()
    try:
        route.wait_segments()
        browser.get(route.url)
        glass.start(browser, "#player")
        clicked = glass.wall_ms()
        browser.find_element("id", "live").click()
        time.sleep(seconds)
        result = glass.collect(browser, since_ms=clicked)
        stopped = glass.wall_ms()
        glass_route.stop(route.ffmpeg)  # no new segment from now on
        time.sleep(6)
        tail = glass.collect(browser, since_ms=clicked)
        return {
            "gop": gop,
            "result": result,
            "drift": (
                result.median_between(result.span_s - 10, result.span_s + 1)
                - result.median_between(0, 10)
            )
            / 1000,
            "after_stop": (tail.last_shown_ms - stopped) / 1000,
            "trend": [
                result.median_between(t, t + 10) / 1000 for t in range(0, int(result.span_s), 10)
            ],
        }
    finally:
        browser.quit()
        route.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--gop", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--sync", type=float, default=1.0, help="hls.js liveSyncDuration, s")
    parser.add_argument(
        "--operator-settings",
        action="store_true",
        help="the operator page's own hls.js live settings (operateur.js `LIVE`)",
    )
    parser.add_argument("--hls-extra", default="", help="more hls.js settings, e.g. 'a: 1, b: 2'")
    args = parser.parse_args()
    if args.operator_settings:
        config, settings = glass_route.operator_page_settings(), "operateur.js LIVE"
    else:
        config = glass_route.LOW_LATENCY % {"sync": args.sync, "max_latency": args.sync + 2}
        settings = f"liveSyncDuration {args.sync:g} s"
    if args.hls_extra:
        config = config.rstrip()[:-1] + f", {args.hls_extra}}}"
        settings += f", {args.hls_extra}"
    print(
        f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, hls.js {settings}",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="vigie-glass-") as tmp:
        for gop in args.gop:
            rows.append(one(gop, args.seconds, Path(tmp) / f"gop{gop:g}", config))
            print(f"key frame every {gop:g} s: {rows[-1]['result'].summary()}", flush=True)
            trend = " ".join(f"{m:.2f}" for m in rows[-1]["trend"])
            print(f"  median latency per 10 s: {trend}", flush=True)
    print("\n| key frame | p50 | p95 | max | start-up | drift | shown after source stops |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        g = r["result"]
        print(
            f"| {r['gop']:g} s | {g.p50_ms / 1000:.2f} s | {g.p95_ms / 1000:.2f} s | "
            f"{g.max_ms / 1000:.2f} s | {g.startup_s:.2f} s | {r['drift']:+.2f} s | "
            f"{r['after_stop']:.2f} s |"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
