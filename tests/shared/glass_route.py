"""A live route on loopback with no vigie service, to prove the glass-to-glass
harness (glass.py) and to benchmark the HLS settings it would use:

    camera_sim.py --clock-mount (RTSP, the wall-clock code burned in)
      -> ffmpeg, no re-encoding, HLS with short segments in a temp folder
      -> an HTTP server on 127.0.0.1 (no caching) with a page playing it with the
         vendored hls.js, low-latency settings, started by a click on #live
      -> headless Chromium (the caller's)
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lab.localnet import free_port, port_open
from lab.workstation import need

ROOT = Path(__file__).resolve().parents[2]
CAMERA_SIM = ROOT / "lab/camera_sim/camera_sim.py"
HLS_JS = ROOT / "src/vigie_access/static/hls.min.js"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with gi and GStreamer (the venv has none)

# hls.js kept about a second behind the live edge, catching up faster than real
# time when it falls behind rather than drifting.
LOW_LATENCY = """{lowLatencyMode: true, liveSyncDuration: %(sync)s,
  liveMaxLatencyDuration: %(max_latency)s, maxLiveSyncPlaybackRate: 1.5,
  backBufferLength: 0, manifestLoadingMaxRetry: 10}"""
PAGE = """<!doctype html><meta charset="utf-8"><title>live</title>
<button id="live">live</button><video id="player" muted playsinline></video>
<script src="hls.min.js"></script>
<script>
document.getElementById("live").onclick = () => {
  const video = document.getElementById("player");
  const hls = new Hls(%(config)s);
  hls.loadSource("live.m3u8");
  hls.attachMedia(video);
  video.play();
};
</script>
"""


def operator_page_settings() -> str:
    """The hls.js settings the operator's page uses for its live view (`const LIVE`)."""
    js = (ROOT / "src/vigie_access/static/operateur.js").read_text()
    found = re.search(r"^const LIVE = (\{.*?\});", js, re.S | re.M)
    if found is None:
        raise AssertionError("operateur.js has no `const LIVE = {...};` any more")
    return found.group(1)


def footage() -> Path:
    """Real footage as the simulators serve it (cached, as lab/camera_sim/build.sh makes it)."""
    src = subprocess.run(["bash", str(ROOT / "scripts/footage.sh")], check=True,
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    out = subprocess.run(
        ["bash", str(ROOT / "lab/camera_sim/encode.sh"), f"{src}/vtest.avi",
         str(ROOT / ".cache/camera_sim/vtest.h264"), "640x360", "5"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return Path(out.stdout.strip())


class NoCache(SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *_args):
        pass


def start_camera(folder: Path, h264: Path, fps: int = 5, gop: float = 1.0):
    """camera_sim.py on loopback, one clock mount: (process, rtsp url)."""
    port = free_port()
    log = (folder / "camera_sim.log").open("ab")
    proc = subprocess.Popen(
        [SYSTEM_PYTHON, str(CAMERA_SIM), "--address", "127.0.0.1", "--port", str(port),
         "--clock-mount", f"/live={h264}@{fps}/{gop:g}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    end = time.monotonic() + 30
    while not port_open(port):
        if proc.poll() is not None or time.monotonic() > end:
            stop(proc)
            raise AssertionError(f"camera_sim did not start:\n{read_log(folder)}")
        time.sleep(0.1)
    return proc, f"rtsp://127.0.0.1:{port}/live"


def read_log(folder: Path) -> str:
    return (folder / "camera_sim.log").read_text(errors="replace")[-3000:]


def stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class HlsRoute:
    """camera -> ffmpeg HLS -> HTTP page, on loopback; `url` is the page."""

    def __init__(
        self, folder: Path, gop: float = 1.0, hls_time: float = 1.0, sync: float = 1.0,
        config: str | None = None,
    ):  # fmt: skip
        """config: an hls.js settings object literal (default: LOW_LATENCY with `sync`)."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        need("ffmpeg")
        if not Path(SYSTEM_PYTHON).exists():
            raise AssertionError(f"{SYSTEM_PYTHON} (Debian's, with python3-gst-1.0) is required")
        (folder / "hls.min.js").write_bytes(HLS_JS.read_bytes())
        config = config or LOW_LATENCY % {"sync": sync, "max_latency": sync + 2}
        (folder / "index.html").write_text(PAGE % {"config": config})
        self.camera, self.rtsp = start_camera(folder, footage(), gop=gop)
        self.ffmpeg = subprocess.Popen(
            [need("ffmpeg"), "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
             "-i", self.rtsp, "-c", "copy", "-f", "hls", "-hls_time", f"{hls_time:g}",
             "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist",
             str(folder / "live.m3u8")],
            stdout=subprocess.DEVNULL, stderr=(folder / "ffmpeg.log").open("ab"),
        )  # fmt: skip
        handler = functools.partial(NoCache, directory=str(folder))
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/index.html"

    def wait_segments(self, n: int = 3, timeout: float = 30) -> None:
        """The live playlist is steady (as a recorder's always is before anyone clicks)."""
        end = time.monotonic() + timeout
        playlist = self.folder / "live.m3u8"
        while time.monotonic() < end:
            if playlist.exists() and playlist.read_text().count("#EXTINF") >= n:
                return
            if self.ffmpeg.poll() is not None:
                break
            time.sleep(0.2)
        log = (self.folder / "ffmpeg.log").read_text(errors="replace")[-2000:]
        raise AssertionError(f"no live HLS playlist: ffmpeg {log}\ncamera {read_log(self.folder)}")

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        stop(self.ffmpeg)
        stop(self.camera)


if __name__ == "__main__":  # serve one route by hand: python glass_route.py FOLDER
    route = HlsRoute(Path(sys.argv[1]))
    print(route.url, flush=True)
    try:
        route.wait_segments()
        time.sleep(3600)
    finally:
        route.stop()
