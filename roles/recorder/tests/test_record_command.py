"""The recorder's ffmpeg command (files/vigie-record) against a live MPEG-TS
stream: footage reaches the disk frame by frame while the segment is open,
not when the muxer's buffer fills or the segment closes."""

import datetime as dt
import json
import os
import subprocess
import time
from pathlib import Path

FILES = Path(__file__).resolve().parents[1] / "files"
# vigie-record imports GStreamer (python3-gi): Debian's Python, as on a recorder.
COMMAND = r"""
import importlib.machinery, importlib.util, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
loader = importlib.machinery.SourceFileLoader("vigie_record", sys.argv[1] + "/vigie-record")
spec = importlib.util.spec_from_loader("vigie_record", loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)
print(json.dumps(module.ffmpeg_command({"id": "cam"}, Path(sys.argv[2]), 300, None)))
"""
LIVE_SECONDS = 6


def recorder_command(base: Path) -> list[str]:
    out = subprocess.run(
        ["/usr/bin/python3", "-c", COMMAND, str(FILES), str(base)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_a_copied_stream_is_on_disk_frame_by_frame_while_it_is_received(tmp_path):
    base = tmp_path / "cam"
    today = dt.datetime.now(dt.UTC).date()
    for day in (today, today + dt.timedelta(days=1)):
        (base / day.isoformat()).mkdir(parents=True)
    # A camera's stream in real time (5 frames/s, a key frame every 2 s).
    camera = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi",
         "-i", "testsrc=size=640x360:rate=5", "-t", str(LIVE_SECONDS),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "mpegts", "pipe:1"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    recorder = subprocess.Popen(
        recorder_command(base), stdin=camera.stdout, env=dict(os.environ, TZ="UTC")
    )
    camera.stdout.close()
    sizes, started = [], time.monotonic()
    try:
        while camera.poll() is None:
            size = sum(p.stat().st_size for p in base.rglob("*.ts"))
            if not sizes or size != sizes[-1][1]:
                sizes.append((time.monotonic() - started, size))
            time.sleep(0.05)
    finally:
        camera.wait(timeout=30)
        recorder.wait(timeout=30)
    live = [(t, s) for t, s in sizes if s > 0]
    assert live, "nothing was written while the camera was streaming"
    # At 5 frames/s: the first bytes within a few seconds, then growth at
    # (nearly) every frame; a buffered muxer writes once or twice, at the end.
    assert live[0][0] < LIVE_SECONDS - 2, sizes
    assert len(live) >= 2 * (LIVE_SECONDS - 3), sizes
    assert recorder.returncode == 0
