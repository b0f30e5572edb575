"""make bench-detector: fire, intrusion, tamper, false-alarm and service tables.

Environment:
  BENCH_HOURS    video hours per false-alarm condition (default 24)
  BENCH_DEADLINE Unix time at which the false-alarm replay stops early; the table then
                 says the video hours really replayed per condition
  BENCH_TRIALS   ffmpeg-made tamper trials per kind (default 10)
  BENCH_CAMERAS  camera counts for the service run (default "8,16")
  BENCH_SECONDS  measuring window per service run (default 60)
  BENCH_PARTS    subset of "fire,intrusion,tamper,false,service" (default: all)
Fire footage: $VIGIE_FOOTAGE_DIR/fire (default ../shared/data/footage/fire).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import truth  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROOT = HERE.parents[1]


def fmt(value, spec=".1f"):
    return "-" if value is None else format(value, spec)


def table(title: str, columns: list[str]) -> Table:
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col, justify="right")
    return t


def negatives() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "detector_image" / "footage.sh")],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def print_fire(console: Console, neg: Path, vtest_frames) -> None:
    t = table(
        "Fire on real clips (5 fps, 640 px; annotations/*.yml), flame and smoke judged "
        "separately: latency from the first annotated second of that kind; a false alarm "
        "is an event of a kind outside that kind's annotated intervals",
        ["clip", "events", "flame visible from", "first flame after", "smoke visible from",
         "first smoke after", "false flame", "false smoke"],
    )  # fmt: skip
    for r in truth.fire_rows(neg):
        if r.get("missing"):
            t.add_row(r["clip"], "clip absent: not measured", *["-"] * 6)
            continue
        seen = "not detected"
        t.add_row(
            r["clip"],
            " ".join(r["events"]) or "none",
            fmt(r.get("flame_visible_s"), "g"),
            seen if r.get("flame_visible_s") is not None and r.get("flame_latency_s") is None
            else fmt(r.get("flame_latency_s")),
            fmt(r.get("smoke_visible_s"), "g"),
            seen if r.get("smoke_visible_s") is not None and r.get("smoke_latency_s") is None
            else fmt(r.get("smoke_latency_s")),
            str(r["flame_false"]),
            str(r["smoke_false"]),
        )  # fmt: skip
    console.print(t)
    s = table(
        "Smoke signal alone on bonfire.mp4 (smoke kind only) while smoke is annotated: "
        "share of the annotated region's 8x8 blocks that were steady smoke candidates",
        ["warm-up s", "smoke visible", "frames judged", "picture off background",
         "background relearned", "candidate peak", "region blocks max", "elsewhere max",
         "smoke events"],
    )  # fmt: skip
    for r in truth.smoke_signal():
        s.add_row(
            f"{r['warmup_s']:g}", r["visible"], str(r["judged"]),
            f"{min(r['changed']):.0%}-{max(r['changed']):.0%}", str(r["relearned"]),
            f"{r['peak']:.2f}", f"{r['inside_max']:.0%}", f"{r['outside_max']:.0%}",
            " ".join(f"{x:.1f}s" for x in r["events"]) or "none",
        )  # fmt: skip
    console.print(s)
    cost = truth.fire_cost(vtest_frames[:300])
    console.print(
        f"cost per frame at 640x480 (CPU ms, vtest): tamper+intrusion "
        f"{cost['tamper+intrusion']:.2f}, all three {cost['all three']:.2f}, "
        f"fire adds {cost['fire adds']:.2f} ms/frame"
    )


def print_intrusion(console: Console, vtest_frames) -> None:
    r = truth.intrusion_rows(vtest_frames)
    t = table(
        "Intrusion, vtest lawn zone (annotated 52-70 s), replayed from 10 offsets 0-45 s",
        ["trials", "detected", "latency mean s", "latency max s", "events outside", "missed"],
    )
    t.add_row(
        str(r["trials"]), str(r["detected"]), fmt(r["latency_mean_s"]),
        fmt(r["latency_max_s"]), str(r["false"]), str(r["missed"] or "none"),
    )  # fmt: skip
    console.print(t)


def print_tamper(console: Console, vtest: Path, trials: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vigie-det-ffinject-") as tmp:
        rows = truth.tamper_rows(vtest, trials, Path(tmp))
    t = table(
        f"Tamper made by ffmpeg filters over vtest, start drawn in 12-40 s, {trials} per kind"
        " (frozen / signal loss: after 10 s)",
        ["kind", "trials", "detected", "right kind", "latency mean s", "latency max s",
         "alarms before"],
    )  # fmt: skip
    for r in rows:
        t.add_row(
            r["kind"], str(r["trials"]), str(r["detected"]), str(r["right_kind"]),
            fmt(r["latency_mean_s"]), fmt(r["latency_max_s"]), str(r["early"]),
        )  # fmt: skip
    console.print(t)


def print_false(console: Console, vtest: Path, hours: float) -> None:
    rows = truth.false_alarm_rows(vtest, hours)
    t = table(
        f"False alarms, vtest 0-51 s (people on the path, lawn zone empty), looped "
        f"{hours:g} h of video per condition, all three classes",
        ["condition", "video h", "intrusion", "tamper", "fire", "per camera per 24 h",
         "replay wall s"],
    )  # fmt: skip
    for r in rows:
        t.add_row(
            r["condition"], f"{r['hours']:.2f}", str(r["intrusion"]), str(r["tamper"]),
            str(r["fire"]),
            f"{r['per_24h']:.2f}", f"{r['wall_s']:.0f}",
        )  # fmt: skip
    console.print(t)


def print_service(console: Console, counts: list[int], seconds: float) -> None:
    import service

    rows = service.measure(counts, seconds)
    t = table(
        f"The real service: one container (--cpus 1), N cameras over RTSP from vigie/camera-sim "
        f"(640x360, 5 fps H.264), real mosquitto; {seconds:g} s window",
        ["cameras", "analysis", "CPU ms/frame", "streams/core", "MiB/stream", "MiB total",
         "frames/s", "dropped", "cover -> MQTT s", "host load"],
    )  # fmt: skip
    for r in rows:
        if "error" in r:
            t.add_row(str(r["cameras"]), r["classes"], f"failed: {r['error']}")
            continue
        t.add_row(
            str(r["cameras"]), r["classes"], f"{r['cpu_ms_per_frame']:.2f}",
            f"{r['streams_per_core']:.0f}", f"{r['mem_mib_per_stream']:.1f}",
            f"{r['mem_mib_total']:.0f}", f"{r['frames_per_s']:.1f}", f"{r['dropped']:.1%}",
            fmt(r["latency_s"]), f"{r['load_average']:.1f}",
        )  # fmt: skip
    console.print(t)


def main() -> int:
    console = Console(width=150)
    hours = float(os.environ.get("BENCH_HOURS", "24"))
    trials = int(os.environ.get("BENCH_TRIALS", "10"))
    counts = [int(x) for x in os.environ.get("BENCH_CAMERAS", "8,16").split(",")]
    seconds = float(os.environ.get("BENCH_SECONDS", "60"))
    parts = os.environ.get("BENCH_PARTS", "fire,intrusion,tamper,false,service").split(",")
    neg = negatives()
    vtest = neg / "vtest.avi"
    vtest_frames = truth.frames_at(vtest) if {"fire", "intrusion"} & set(parts) else None
    for part, run in (
        ("fire", lambda: print_fire(console, neg, vtest_frames)),
        ("intrusion", lambda: print_intrusion(console, vtest_frames)),
        ("tamper", lambda: print_tamper(console, vtest, trials)),
        ("false", lambda: print_false(console, vtest, hours)),
        ("service", lambda: print_service(console, counts, seconds)),
    ):
        if part in parts:
            started = time.perf_counter()
            run()
            console.print(f"({part}: {time.perf_counter() - started:.0f} s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
