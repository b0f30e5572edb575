"""The clock code through real parts, on loopback, no Docker: the camera
simulator (clock mode, real footage) burns the wall-clock time into each frame
as it produces it, ffmpeg pulls the RTSP stream and decodes it, and the code
read from the pixels is the time the frame was sent: the ground truth the
browser measurement (lab/glass.py) rests on. Then the same camera
through HLS into headless Chromium, read by the page sampler; and the
key-frame interval: re-encoded every GOP seconds, or a served file refused when
its key frames are sparser than asked.

Needs Debian's python3 with GStreamer (python3-gst-1.0, gstreamer1.0-plugins-ugly,
python3-gi-cairo), ffmpeg, chromium and chromedriver: a missing one fails, never skips.
"""

from __future__ import annotations

import itertools
import statistics
import subprocess
import time

import pytest

from lab import glass
from lab import workstation as ws
from lab.camera_sim import clockcode as cc
from tests.shared import glass_route

pytestmark = pytest.mark.slow

W, H, FPS = 640, 360, 5


@pytest.fixture(scope="module")
def footage():
    return glass_route.footage()


@pytest.fixture
def camera(tmp_path, footage, request):
    proc, url = glass_route.start_camera(tmp_path, footage, FPS, getattr(request, "param", 1.0))
    yield url
    glass_route.stop(proc)


def received_frames(url: str, seconds: float) -> list[tuple[int, bytes]]:
    """(local clock when the frame came out of ffmpeg, gray pixels), as they arrive.
    No probing (it would hold the first 5 s), one decoding thread, a flush per
    frame. ffmpeg still holds about two frames (400 ms at 5 fps) where a
    GStreamer client reads a frame 5-30 ms after it was drawn: hence 1 s."""
    proc = subprocess.Popen(
        [ws.need("ffmpeg"), "-nostdin", "-loglevel", "error", "-threads", "1",
         "-flags", "low_delay", "-analyzeduration", "0", "-probesize", "32",
         "-rtsp_transport", "tcp", "-i", url,
         "-t", str(seconds), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray",
         "-flush_packets", "1", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    frames = []
    while len(frame := proc.stdout.read(W * H)) == W * H:
        frames.append((cc.now_ms(), frame))
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return frames


def test_each_frame_carries_the_time_it_was_sent(camera):
    frames = received_frames(camera, 8)
    assert len(frames) >= 6 * FPS, f"{len(frames)} frames in 8 s at {FPS} fps"
    read = [(at, cc.decode_gray(px, W, H)) for at, px in frames]
    codes = [(at, cc.unwrap(code, at)) for at, code in read if code is not None]
    assert len(codes) >= 0.95 * len(read), f"{len(read) - len(codes)} of {len(read)} unread"
    drawn = [t for _at, t in codes]
    assert all(b > a for a, b in itertools.pairwise(drawn)), "codes not increasing"
    steps = [b - a for a, b in itertools.pairwise(drawn)]
    assert 180 <= statistics.median(steps) <= 220, steps  # one frame, 200 ms at 5 fps
    assert max(steps) < 500, steps
    ages = [at - t for at, t in codes]
    print(f"camera -> ffmpeg decoded: age median {statistics.median(ages)} ms, max {max(ages)} ms")
    assert min(ages) >= 0, f"a code from the future: {min(ages)} ms (clock drawn late?)"
    assert max(ages) < 1000, ages


@pytest.mark.parametrize("camera", [1.0, 2.0], indirect=True, ids=["gop1s", "gop2s"])
def test_key_frames_come_every_gop_seconds(camera, request):
    gop = request.node.callspec.params["camera"]
    probe = subprocess.run(
        [ws.need("ffprobe"), "-v", "error", "-rtsp_transport", "tcp", "-read_intervals", "%+6",
         "-select_streams", "v:0", "-show_entries", "frame=key_frame", "-of", "csv=p=0",
         camera],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    flags = [line.strip().startswith("1") for line in probe.stdout.splitlines() if line.strip()]
    keys = [i for i, key in enumerate(flags) if key]
    assert len(keys) >= 2, probe.stdout
    gaps = {b - a for a, b in itertools.pairwise(keys)}
    assert gaps == {round(FPS * gop)}, gaps


def test_the_page_sampler_reads_the_same_clock_through_hls(tmp_path):
    """The harness itself: a live HLS route played by hls.js in headless Chromium."""
    route = glass_route.HlsRoute(tmp_path / "route")
    browser = ws.chromium()
    try:
        route.wait_segments()
        browser.get(route.url)
        glass.start(browser, "#player")
        clicked = glass.wall_ms()
        browser.find_element("id", "live").click()
        time.sleep(20)
        result = glass.collect(browser, since_ms=clicked)
    finally:
        browser.quit()
        route.stop()
    print(f"local HLS route: {result.summary()}")
    assert len(result.frames) >= 10 * FPS and result.span_s >= 15, result.summary()
    # 1 s segments + hls.js about 1 s behind the edge: neither live nor minutes late.
    assert 500 < result.p50_ms < 5000 and result.max_ms < 8000, result.summary()
    assert result.startup_s < 5, result.summary()
    assert result.misreads <= 0.05 * result.reads, result.summary()


def test_a_served_file_with_sparser_key_frames_than_asked_is_refused(tmp_path, footage):
    """A plain mount cannot re-encode: a file whose key frames are 2 s apart is
    refused for a 1 s interval (the model's keyframe_seconds) and served for 2 s."""
    refused = subprocess.run(
        [glass_route.SYSTEM_PYTHON, str(glass_route.CAMERA_SIM), "--port", "0",
         "--mount", f"/s={footage}@{FPS}/1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0 and "between key frames" in refused.stderr, refused.stderr
    proc = subprocess.Popen(
        [glass_route.SYSTEM_PYTHON, str(glass_route.CAMERA_SIM), "--port", "0",
         "--mount", f"/s={footage}@{FPS}/2"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert "camera_sim: rtsp://" in proc.stdout.readline()
    finally:
        glass_route.stop(proc)
