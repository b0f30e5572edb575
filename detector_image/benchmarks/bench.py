"""make bench-detector: throughput and quality tables, measured side by side in one run.

Environment: BENCH_HOURS (video hours per false-alarm row, default 4),
BENCH_FRAMES (frames per throughput row, default 4000),
BENCH_PARTS (default "quality,throughput").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality  # noqa: E402
import throughput  # noqa: E402
from common import FPS, ROOT, footage, frames_5fps  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402


def fmt(value, spec=".2f"):
    return "-" if value is None else format(value, spec)


def table(title: str, columns: list[str]) -> Table:
    t = Table(title=title)
    for col in columns:
        t.add_column(col, justify="right")
    return t


def print_quality(console: Console, vtest, hours: float) -> None:
    started = time.perf_counter()
    t = table(
        "Tamper injected into real footage (vtest.avi, 5 fps): recall within 2 s",
        ["tamper", "trials", "detected", "recall", "right kind", "latency mean s",
         "latency max s", "alarms before"],
    )  # fmt: skip
    for r in quality.tamper_recall(vtest):
        t.add_row(
            r["kind"], str(r["trials"]), str(r["detected"]), f"{r['recall']:.0%}",
            str(r["right_kind"]), fmt(r["latency_mean_s"]), fmt(r["latency_max_s"]),
            str(r["false_before"]),
        )  # fmt: skip
    console.print(t)

    t = table(
        f"False alarms per camera per 24 h ({hours:g} h of video per row, site closed)",
        ["footage", "video h", "alarms", "per 24 h"],
    )
    for r in quality.false_alarms(vtest, hours):
        t.add_row(
            r["footage"], f"{r['hours']:g}", f"{r['tamper_alarms']} tamper", f"{r['per_24h']:.2f}"
        )
    for r in quality.empty_scene_intrusion_false_alarms(vtest, hours):
        t.add_row(
            r["footage"], f"{r['hours']:g}",
            f"{r['intrusion_alarms']} intrusion ({r['hog_runs']} HOG runs)", f"{r['per_24h']:.2f}",
        )  # fmt: skip
    console.print(t)

    r = quality.intrusion_recall(vtest)
    t = table(
        "Intrusion: people appear in the zone of the empty scene (vtest, 8 s empty + 10 s)",
        ["clips", "detected", "recall", "latency mean s", "latency max s", "alarms on empty",
         "missed"],
    )  # fmt: skip
    t.add_row(
        str(r["trials"]), str(r["detected"]), f"{r['recall']:.0%}", fmt(r["latency_mean_s"]),
        fmt(r["latency_max_s"]), str(r["false_on_empty"]), str(r["missed_offsets"]),
    )  # fmt: skip
    console.print(t)
    console.print(f"quality measured in {time.perf_counter() - started:.0f} s")


def print_throughput(console: Console, h264: str, n_frames: int) -> None:
    rows = throughput.measure(h264, n_frames)
    decode_fps = rows[0][1]
    t = table(
        f"Throughput on ONE core (CPU time): 640x360 5 fps H.264, {n_frames} frames/row",
        ["pipeline", "frames/s per core", "ms/frame", "streams/core at 5 fps", "vs decode only"],
    )
    for label, fps in rows:
        t.add_row(
            label, f"{fps:.0f}", f"{1000 / fps:.2f}", f"{fps / FPS:.0f}", f"{fps / decode_fps:.0%}"
        )
    console.print(t)


def main() -> int:
    console = Console(width=130)
    hours = float(os.environ.get("BENCH_HOURS", "4"))
    n_frames = int(os.environ.get("BENCH_FRAMES", "4000"))
    parts = os.environ.get("BENCH_PARTS", "quality,throughput").split(",")
    src = footage() / "vtest.avi"
    # The camera simulator's stream: real footage encoded once (cached).
    h264 = ROOT / ".cache" / "camera_sim" / "vtest.h264"
    encode = ROOT / "lab" / "camera_sim" / "encode.sh"
    subprocess.run(
        ["bash", str(encode), str(src), str(h264), "640x360", "5"], check=True, capture_output=True
    )
    if "quality" in parts:
        print_quality(console, frames_5fps(src), hours)
    if "throughput" in parts:
        print_throughput(console, str(h264), n_frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
