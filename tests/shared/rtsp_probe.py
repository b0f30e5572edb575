"""Is a camera simulator serving RTSP? An OPTIONS request from inside its own
container (its port is not published), answered `RTSP/1.0 200`.

Tests that time a recorder's return after a camera outage start their clock
here: the container's own boot is not the recorder's to shorten."""

from __future__ import annotations

import subprocess

OPTIONS = (
    "import socket, sys\n"
    "try:\n"
    "    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=1)\n"
    "    s.sendall(b'OPTIONS rtsp://127.0.0.1/stream RTSP/1.0\\r\\nCSeq: 1\\r\\n\\r\\n')\n"
    "    print(s.recv(64).decode(errors='replace'))\n"
    "except OSError:\n"
    "    pass\n"
)


def serves(container: str, port: int = 554) -> bool:
    probe = subprocess.run(
        ["docker", "exec", container, "python3", "-c", OPTIONS, str(port)],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return probe.stdout.startswith("RTSP/1.0 200")
