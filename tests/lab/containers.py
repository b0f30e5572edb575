"""The running lab for its end-to-end tests: its state file (`read_state`), commands in
its containers (`sh`, `py`), their recorded segments, their TCP reach, and `wait_for`."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from lab import docker_cli

STATE = Path(__file__).resolve().parents[2] / ".lab" / "state.json"


def lab_required() -> bool:
    """In CI, or when `make test-lab` says so, nothing may be skipped."""
    return os.environ.get("VIGIE_LAB_REQUIRED") == "1" or os.environ.get("CI") == "true"


def read_state() -> dict | None:
    """.lab/state.json of the running lab (shape in lab/README.md), or None."""
    return json.loads(STATE.read_text()) if STATE.exists() else None


def sh(container: str, script: str, check: bool = True) -> str:
    """Run a shell snippet in a lab container and return its output."""
    return docker_cli.docker("exec", container, "sh", "-c", script, check=check)


def py(container: str, code: str, *args: str, check: bool = True) -> str:
    """Run Python in a lab container (every lab image has python3)."""
    return docker_cli.docker("exec", container, "python3", "-c", code, *args, check=check)


def wait_for(predicate, timeout: float, interval: float = 0.5):
    """Poll until predicate() is truthy: (value, seconds waited), or (None, timeout)."""
    start = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None, timeout
        time.sleep(interval)


# Layout of roles/recorder: <storage>/<camera>/<YYYY-MM-DD>/<camera>_<UTC time>.ts
LIST_PY = r"""
import json, sys
from pathlib import Path
out = {}
for p in sorted(Path(sys.argv[1]).glob("*/*/*.ts")):
    st = p.stat()
    out.setdefault(p.parent.parent.name, []).append([str(p), st.st_size, st.st_mtime])
print(json.dumps(out))
"""


def segments(container: str, storage: str) -> dict[str, list[tuple[str, int, float]]]:
    """camera id -> [(path, size, mtime)], oldest first."""
    raw = json.loads(py(container, LIST_PY, storage))
    return {cam: [tuple(s) for s in segs] for cam, segs in raw.items()}


def total_bytes(container: str, storage: str, camera: str) -> int:
    return sum(size for _path, size, _mtime in segments(container, storage).get(camera, []))


CONNECT_PY = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])).close()
    print("open")
except OSError as exc:
    print(type(exc).__name__)
"""


def tcp_connect(container: str, address: str, port: int, timeout: float = 3) -> str:
    """'open', or the error class name ('TimeoutError' when a firewall drops)."""
    return py(container, CONNECT_PY, address, str(port), str(timeout)).strip()


CONNECT_MANY_PY = r"""
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def one(port):
    try:
        socket.create_connection((sys.argv[1], port), float(sys.argv[2])).close()
        return "open"
    except OSError as exc:
        return type(exc).__name__
ports = [int(p) for p in sys.argv[3:]]
with ThreadPoolExecutor(len(ports)) as pool:
    print(json.dumps(dict(zip(sys.argv[3:], pool.map(one, ports)))))
"""


def tcp_outcomes(container: str, address: str, ports, timeout: float = 3) -> dict[int, str]:
    """tcp_connect to several ports at once (one timeout for all): {port: outcome}."""
    out = py(container, CONNECT_MANY_PY, address, str(timeout), *map(str, ports))
    return {int(port): outcome for port, outcome in json.loads(out).items()}


@contextlib.contextmanager
def purge_paused(container: str):
    """Stop the emergency purge's timer (and wait out a run in progress), then
    start it again whatever happens."""
    timer = "vigie-recorder-housekeeping@purge.timer"
    service = "vigie-recorder-housekeeping@purge.service"
    sh(container, f"systemctl stop {timer}")
    try:
        idle, _ = wait_for(
            lambda: (
                sh(container, f"systemctl is-active {service}", check=False).strip()
                in ("inactive", "failed")
            ),
            timeout=30,
            interval=0.5,
        )
        assert idle, f"{service} still running 30 s after its timer was stopped"
        yield
    finally:
        sh(container, f"systemctl start {timer}")
        assert sh(container, f"systemctl is-active {timer}").strip() == "active"
