"""make bench-detector: throughput and quality tables, measured side by side in one run.

Environment: BENCH_HOURS (video hours per false-alarm condition, default 4),
BENCH_FRAMES (frames per throughput row, default 4000).
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


def main() -> int:
    console = Console(width=130)
    hours = float(os.environ.get("BENCH_HOURS", "4"))
    n_frames = int(os.environ.get("BENCH_FRAMES", "4000"))
    subprocess.run(
        ["bash", str(ROOT / "lab" / "camera_sim" / "build.sh")], check=True, capture_output=True
    )
    h264 = str(ROOT / ".cache" / "camera_sim" / "vtest.h264")
    vtest = frames_5fps(footage() / "vtest.avi")

    # Quality first (uses every core the machine gives), throughput last (pins itself to one).
    started = time.perf_counter()
    table = Table(title="Tamper injected into real footage (vtest.avi, 5 fps): recall within 2 s")
    for col in [
        "tamper",
        "trials",
        "detected",
        "recall",
        "right kind",
        "latency mean s",
        "latency max s",
        "alarms before",
    ]:
        table.add_column(col, justify="right")
    for r in quality.tamper_recall(vtest):
        table.add_row(
            r["kind"],
            str(r["trials"]),
            str(r["detected"]),
            f"{r['recall']:.0%}",
            str(r["right_kind"]),
            fmt(r["latency_mean_s"]),
            fmt(r["latency_max_s"]),
            str(r["false_before"]),
        )
    console.print(table)

    table = Table(
        title=f"False alarms per camera per 24 h ({hours:g} h of video per row, site closed)"
    )
    for col in ["footage", "video h", "alarms", "per 24 h"]:
        table.add_column(col, justify="right")
    for r in quality.false_alarms(vtest, hours):
        table.add_row(
            r["footage"], f"{r['hours']:g}", f"{r['tamper_alarms']} tamper", f"{r['per_24h']:.2f}"
        )
    for r in quality.empty_scene_intrusion_false_alarms(vtest, hours):
        table.add_row(
            r["footage"],
            f"{r['hours']:g}",
            f"{r['intrusion_alarms']} intrusion ({r['hog_runs']} HOG runs)",
            f"{r['per_24h']:.2f}",
        )
    console.print(table)

    r = quality.intrusion_recall(vtest)
    table = Table(
        title="Intrusion: people appear in the zone of the empty scene (vtest, 8 s empty + 10 s)"
    )
    for col in [
        "clips",
        "detected",
        "recall",
        "latency mean s",
        "latency max s",
        "alarms on empty",
        "missed",
    ]:
        table.add_column(col, justify="right")
    table.add_row(
        str(r["trials"]),
        str(r["detected"]),
        f"{r['recall']:.0%}",
        fmt(r["latency_mean_s"]),
        fmt(r["latency_max_s"]),
        str(r["false_on_empty"]),
        str(r["missed_offsets"]),
    )
    console.print(table)
    console.print(f"quality measured in {time.perf_counter() - started:.0f} s")

    rows = throughput.measure(h264, n_frames)
    decode_fps = rows[0][1]
    table = Table(
        title=f"Throughput on ONE core: 640x360 H.264 real footage, {n_frames} frames per row"
    )
    for col in [
        "pipeline",
        "frames/s per core",
        "ms/frame",
        "streams/core at 5 fps",
        "vs decode only",
    ]:
        table.add_column(col, justify="right")
    for label, fps in rows:
        table.add_row(
            label, f"{fps:.0f}", f"{1000 / fps:.2f}", f"{fps / FPS:.0f}", f"{fps / decode_fps:.0%}"
        )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
