"""CPU cost of a privacy-masked stream on the recorder, side by side with a copied one;
of the live buffer (recording only vs recording + live HLS buffer, copy and masked);
and of the recorder's RTSP ingest (GStreamer in vigie-record, the credential
never in an argument) side by side with ffmpeg reading RTSP itself (the URL
with its password on its command line, as before).

The same ffmpeg command lines as the recorder's (roles/recorder/files/vigie-record,
imported), fed an MPEG-TS H.264 stream of real footage (opencv-doc's vtest.avi
scaled to 1080p and 720p) through a pipe as in production, writing real
segments. The CPU time (user + system) of ffmpeg per frame gives the share of
a core one camera needs at its frame rate.

    python benchmarks/recorder/bench.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "roles" / "recorder" / "files"
# The pilot's masks (parvis: two rectangles; avenue-de-paris: one).
MASKS = [
    [[0.0, 0.0], [0.42, 0.0], [0.42, 0.30], [0.0, 0.30]],
    [[0.70, 0.05], [1.0, 0.05], [1.0, 0.40], [0.70, 0.40]],
]
CASES = [("1920x1080", 12, 4096), ("1280x720", 12, 2048)]


def recorder():
    sys.path.insert(0, str(FILES))
    loader = importlib.machinery.SourceFileLoader("vigie_record", str(FILES / "vigie-record"))
    spec = importlib.util.spec_from_loader("vigie_record", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def footage() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "footage.sh")], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip()) / "vtest.avi"


def camera_stream(src: Path, size: str, fps: int, seconds: int, cache: Path) -> Path:
    """The camera's H.264 stream as MPEG-TS (encoded once, cached)."""
    out = cache / f"vtest-{size}-{fps}-{seconds}s.ts"
    if not out.exists():
        w, h = size.split("x")
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(src),
             "-t", str(seconds), "-vf", f"scale={w}:{h},fps={fps}", "-an", "-c:v", "libx264",
             "-preset", "veryfast", "-g", str(2 * fps), "-bf", "0", "-f", "mpegts", str(out)],
            check=True,
        )  # fmt: skip
    return out


def cpu_of(cmd: list[str], stream: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ffmpeg run fed from a pipe."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    with stream.open("rb") as data:
        subprocess.run(cmd, stdin=data, check=True, env={**os.environ, "TZ": "UTC"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, time.monotonic() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_for(cmd: list[str], seconds: int, env: dict, stdin=subprocess.DEVNULL) -> float:
    """CPU seconds of a command (and the children it waits for) over `seconds`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, env=env, stdin=stdin, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ingest(seconds: int, tmp: Path) -> tuple[float, float]:
    """% of a core: ffmpeg reading RTSP itself vs vigie-record (GStreamer + ffmpeg)."""
    h264 = ROOT / ".cache" / "camera_sim" / "vtest.h264"
    if not h264.exists():
        subprocess.run(["bash", str(ROOT / "lab" / "camera_sim" / "build.sh")], check=True)
    port = free_port()
    (tmp / "cred").write_text("bench:bench-password-1\n")
    sim = subprocess.Popen(
        ["/usr/bin/python3", str(ROOT / "lab" / "camera_sim" / "camera_sim.py"), "--port",
         str(port), "--mount", f"/s={h264}@5", "--credentials", str(tmp / "cred")],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)
        env = {**os.environ, "TZ": "UTC"}
        (tmp / "a").mkdir()
        ffmpeg = ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i",
                  f"rtsp://bench:bench-password-1@127.0.0.1:{port}/s", "-map", "0", "-c", "copy",
                  "-f", "segment", "-segment_time", "300", "-strftime", "1",
                  str(tmp / "a" / "%Y%m%dT%H%M%SZ.ts")]  # fmt: skip
        alone = run_for(ffmpeg, seconds, env)
        (tmp / "cfg").mkdir()
        (tmp / "cfg" / "cam.json").write_text(
            f'{{"id": "cam", "rtsp_url": "rtsp://127.0.0.1:{port}/s"}}'
        )
        (tmp / "cred.json").write_text('{"username": "bench", "password": "bench-password-1"}')
        env.update(
            VIGIE_CAMERA_CONFIG_DIR=str(tmp / "cfg"),
            VIGIE_STORAGE=str(tmp / "b"), VIGIE_SEGMENT_SECONDS="300",
            VIGIE_LIVE_PATH=str(tmp / "live"), VIGIE_LIVE_SEGMENT_SECONDS="1",
            VIGIE_LIVE_PLAYLIST_SIZE="6",
        )  # fmt: skip
        with (tmp / "cred.json").open() as cred:
            ours = run_for(
                ["/usr/bin/python3", str(FILES / "vigie-record"), "cam"], seconds, env, cred
            )
    finally:
        sim.terminate()
        sim.wait()
    return 100 * alone / seconds, 100 * ours / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="footage per case")
    args = parser.parse_args()
    rec = recorder()
    cache = ROOT / ".cache" / "bench-recorder"
    cache.mkdir(parents=True, exist_ok=True)
    src = footage()
    print(f"recorder bench: {args.seconds} s of real footage per case, ffmpeg fed through a pipe")
    print(f"{'stream':>16} {'copy ms/frame':>14} {'masked ms/frame':>16} {'ratio':>7} "
          f"{'masked % core':>14}")  # fmt: skip
    live_rows = []
    for size, fps, kbps in CASES:
        stream = camera_stream(src, size, fps, args.seconds, cache)
        frames = args.seconds * fps
        with tempfile.TemporaryDirectory(prefix="vigie-bench-rec-") as tmp:
            base = Path(tmp) / "cam"
            (base / time.strftime("%Y-%m-%d", time.gmtime())).mkdir(parents=True)
            camera = {"id": "cam", "resolution": size, "fps": fps, "bitrate_kbps": kbps}
            copy_cmd = rec.ffmpeg_command(camera, base, 300, None)
            mask = Path(tmp) / "mask.pam"
            w, h = (int(v) for v in size.split("x"))
            rec.vigie_masks.write_pam(str(mask), MASKS, w, h)
            masked_cmd = rec.ffmpeg_command(
                {**camera, "privacy_masks": MASKS}, base, 300, str(mask)
            )
            copy_cpu, _ = cpu_of(copy_cmd, stream)
            masked_cpu, _ = cpu_of(masked_cmd, stream)
            # The same with the live buffer (1-s HLS segments, one input, one encoding).
            live = rec.Live(Path(tmp) / "live", 1, 6)
            live.folder.mkdir()
            copy_live_cpu, _ = cpu_of(rec.ffmpeg_command(camera, base, 300, None, live), stream)
            masked_live_cpu, _ = cpu_of(
                rec.ffmpeg_command({**camera, "privacy_masks": MASKS}, base, 300, str(mask), live),
                stream,
            )
        copy_ms, masked_ms = 1000 * copy_cpu / frames, 1000 * masked_cpu / frames
        core = 100 * masked_cpu / args.seconds
        print(f"{size + '@' + str(fps):>16} {copy_ms:>14.2f} {masked_ms:>16.2f} "
              f"{masked_ms / max(copy_ms, 1e-6):>6.0f}x {core:>13.0f}%")  # fmt: skip
        for kind, alone, both in (("copy", copy_cpu, copy_live_cpu),
                                  ("masked", masked_cpu, masked_live_cpu)):  # fmt: skip
            live_rows.append((f"{size}@{fps} {kind}", alone, both))
    print("live buffer, % of a core per camera (recording only -> recording + live):")
    for name, alone, both in live_rows:
        a, b = 100 * alone / args.seconds, 100 * both / args.seconds
        print(f"{name:>24} {a:6.1f} % -> {b:6.1f} %  (+{b - a:.1f} points)")
    with tempfile.TemporaryDirectory(prefix="vigie-bench-ingest-") as tmp:
        alone, ours = ingest(args.seconds, Path(tmp))
    print(f"RTSP ingest of one 640x360@5 camera over {args.seconds} s (incl. startup):")
    print(f"  ffmpeg reading RTSP itself (password in its arguments): {alone:5.1f} % of a core")
    print(f"  vigie-record, GStreamer + ffmpeg through a pipe:        {ours:5.1f} % of a core"
          f"  ({ours / max(alone, 1e-6):.1f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
