"""The detector as deployed: one container, N cameras over RTSP, a real mosquitto.

The camera simulator (vigie/camera-sim) serves N mounts of real footage at the
analysis substream's format (640x360, 5 fps H.264); the detector container
(vigie/detector) reads them, one thread per camera as in production. Measured
from the detector process (/proc: CPU time of all its threads, resident memory): CPU
per stream, memory per stream; from its
metrics: frames analysed vs frames sent (dropped); from the broker: the time
from a scene change (the lens covered at 40 s of the `covered` mount's loop, seen
by an independent RTSP client on the same shared mount) to the tamper event
received at the broker. Run once with no analysis (decode
only) and once with intrusion + tamper + fire, in the same session.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "image"))
from dockerkit import ROOT, Subscriber, create_network, free_port, sh, wait_for  # noqa: E402

PREFIX = f"vigie-det-bench-{os.getpid()}"
FPS = 5
LOOP_S = 80.0  # lab/camera_sim/build.sh: /covered is black from 40 s to 55 s of each 79 s loop


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the detector process, all its threads (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def frames_total(url: str, name: str = "vigie_detector_frames_total") -> float:
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{")
    )


class CoverWatcher(threading.Thread):
    """An independent RTSP client on the same shared `/covered` mount: notes the
    wall-clock time the picture turns black (the scene change), to time the event."""

    def __init__(self, url: str, timeout_s: float):
        super().__init__(daemon=True)
        self.url, self.timeout_s = url, timeout_s
        self.black_at: float | None = None

    def run(self) -> None:
        cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG)
        deadline = time.monotonic() + self.timeout_s
        seen_picture = False
        while time.monotonic() < deadline and cap.isOpened():
            ok, frame = cap.read()
            if not ok:
                break
            dark = float(frame.mean()) < 14
            if not dark:
                seen_picture = True
            elif seen_picture:
                self.black_at = time.time()
                break
        cap.release()


def broker() -> tuple[subprocess.Popen, dict, Path]:
    d = Path(tempfile.mkdtemp(prefix="vigie-det-bench-"))
    d.chmod(0o755)
    user, password = "detector", secrets.token_urlsafe(24)
    sh("mosquitto_passwd", "-b", "-c", str(d / "passwd"), user, password)
    port = free_port()
    (d / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {d / 'passwd'}\n"
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(d / "mosquitto.conf")], stderr=subprocess.DEVNULL
    )
    wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, "mosquitto")
    return proc, {"port": port, "user": user, "password": password}, d


def detector_config(address: str, n: int, classes: list[str], b: dict, metrics_port: int) -> dict:
    cams = []
    for i in range(n):
        path = "covered" if i == 0 else f"cam{i}"
        cam = {
            "id": f"cam{i}",
            "site": "bench",
            "analysis_stream": {
                "rtsp_url": f"rtsp://{address}:554/{path}",
                "resolution": "640x360",
                "fps": FPS,
            },
        }
        if classes:
            cam["detection"] = {
                "classes": classes,
                "active": "always",
                "zones": {"floor": [[0, 0.3], [1, 0.3], [1, 1], [0, 1]]},
                # Short cool-down: the watched cover may be the loop's second one.
                "tamper": {"cooldown_s": 20},
            }
        cams.append(cam)
    return {
        "mqtt": {
            "host": "127.0.0.1",
            "port": b["port"],
            "username": b["user"],
            "password_file": "/run/secrets/mqtt_password",
            "client_id": "vigie-det-bench",
        },
        "metrics": {"address": "127.0.0.1", "port": metrics_port},
        "cameras": cams,
    }


def run_once(n: int, classes: list[str], seconds: float, image: str, b: dict, sub: Subscriber):
    net = f"{PREFIX}-net"
    subnet = create_network(net)
    address = subnet.rsplit(".", 1)[0] + ".10"
    mounts = ["--mount", "/covered=/footage/vtest-covered.h264@5"]
    for i in range(1, n):
        mounts += ["--mount", f"/cam{i}=/footage/vtest.h264@5"]
    cam = f"{PREFIX}-cam"
    det = f"{PREFIX}-det"
    d = Path(tempfile.mkdtemp(prefix="vigie-det-bench-cfg-"))
    try:
        sh("docker", "run", "-d", "--name", cam, "--network", net, "--ip", address,
           "vigie/camera-sim:bookworm", *mounts)  # fmt: skip
        wait_for(lambda: "camera_sim: rtsp" in sh("docker", "logs", cam), 30, "camera sim")
        (d / "secrets").mkdir()
        (d / "secrets" / "mqtt_password").write_text(b["password"])
        metrics_port = free_port()
        (d / "config.yml").write_text(
            json.dumps(detector_config(address, n, classes, b, metrics_port))
        )
        for p in (d, d / "secrets", d / "config.yml", d / "secrets" / "mqtt_password"):
            p.chmod(0o755 if p.is_dir() else 0o444)
        before = len(sub.messages)
        uid = sh("docker", "run", "--rm", "--entrypoint", "id", image, "-u").strip()
        sh("docker", "run", "-d", "--name", det, "--network", "host", "--read-only",
           "--tmpfs", "/tmp",
           "--tmpfs", f"/var/lib/vigie-detector/snapshots:uid={uid},gid={uid},mode=0750",
           "--cpus", "1",
           "-v", f"{d / 'config.yml'}:/etc/vigie-detector/config.yml:ro",
           "-v", f"{d / 'secrets'}:/run/secrets:ro", image)  # fmt: skip
        url = f"http://127.0.0.1:{metrics_port}/metrics"

        def all_up():
            with sub.lock:
                recent = sub.messages[before:]
            return any(t.endswith("/health") and m.get("cameras_up") == n for t, m in recent)

        wait_for(all_up, 180, f"{n} streams up")
        watcher = None
        if "tamper" in classes:
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
            watcher = CoverWatcher(f"rtsp://{address}:554/covered", 2 * LOOP_S)
            watcher.start()
        time.sleep(3)
        pid = int(sh("docker", "inspect", "-f", "{{.State.Pid}}", det))
        received = "vigie_detector_frames_received_total"
        cpu0, f0, r0, t0 = (
            cpu_seconds(pid),
            frames_total(url),
            frames_total(url, received),
            time.monotonic(),
        )
        time.sleep(seconds)
        cpu1, f1, r1, t1 = (
            cpu_seconds(pid),
            frames_total(url),
            frames_total(url, received),
            time.monotonic(),
        )
        mem = rss_bytes(pid)
        elapsed = t1 - t0
        latency = None
        if watcher is not None:
            watcher.join(2 * LOOP_S)
            if watcher.black_at is not None:
                cover = watcher.black_at
                time.sleep(15)
                with sub.lock:
                    got = [
                        ts
                        for ts, t, m in sub.stamped[before:]
                        if t.endswith("cam0/events")
                        and m.get("class") == "tamper"
                        and ts > cover - 5
                    ]
                if got:
                    latency = got[0] - cover
        sent = n * FPS * elapsed
        ms_per_frame = (cpu1 - cpu0) * 1000 / max(1.0, r1 - r0)
        return {
            "load_average": os.getloadavg()[0],
            "cpu_ms_per_frame": ms_per_frame,
            # CPU time per frame actually decoded (and analysed) x the stream's rate:
            # not distorted when the host's other jobs starve the container of CPU.
            "streams_per_core": 1000 / (ms_per_frame * FPS),
            "cameras": n,
            "classes": "+".join(classes) or "decode only",
            "cpu_core_per_stream": (cpu1 - cpu0) / elapsed / n,
            "mem_mib_per_stream": mem / 2**20 / n,
            "mem_mib_total": mem / 2**20,
            "frames_per_s": (f1 - f0) / elapsed,
            "received_per_s": (r1 - r0) / elapsed,
            "dropped": max(0.0, 1 - (f1 - f0) / sent),
            "latency_s": latency,
        }
    finally:
        sh("docker", "rm", "-f", det, cam, check=False)
        sh("docker", "network", "rm", net, check=False)
        shutil.rmtree(d, ignore_errors=True)


def measure(counts: list[int], seconds: float) -> list[dict]:
    sh("bash", str(ROOT / "lab" / "camera_sim" / "build.sh"))
    image = sh("bash", str(ROOT / "detector_image" / "build-image.sh"))
    proc, b, d = broker()
    sub = Subscriber(b["port"], b["user"], b["password"])
    rows = []
    try:
        for n in counts:
            for classes in ([], ["intrusion", "tamper", "fire"]):
                try:
                    row = run_once(n, classes, seconds, image, b, sub)
                except AssertionError as exc:  # keep the other rows; say what failed
                    row = {"cameras": n, "classes": "+".join(classes) or "decode only",
                           "error": str(exc)}  # fmt: skip
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
    finally:
        sub.stop()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)
    return rows


if __name__ == "__main__":
    counts = [int(x) for x in os.environ.get("BENCH_CAMERAS", "4,8").split(",")]
    for row in measure(counts, float(os.environ.get("BENCH_SECONDS", "30"))):
        print(json.dumps(row))
