"""Waiting for a camera that does not answer, without starting a recording.

A camera that is gone (powered off, unplugged, its switch down) does not
refuse a connection, it stays silent. Starting the whole recording (ffmpeg and
the RTSP pipeline) against it costs a connection timeout per attempt, and a
camera back during an attempt is only seen after it. Instead the recorder
opens a bare TCP connection to the camera's RTSP port every PROBE_INTERVAL
seconds, each bounded to PROBE_TIMEOUT: the camera is recorded again within
about PROBE_INTERVAL + PROBE_TIMEOUT of accepting connections, and a camera
away for hours costs one SYN a second and two lines in the journal.
Standard library only (unit-tested without GStreamer)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

PROBE_INTERVAL = 0.5
PROBE_TIMEOUT = 1.0


def rtsp_address(url: str) -> tuple[str, int]:
    """(host, port) of an rtsp:// URL; 554 when the URL names no port."""
    parts = urlsplit(url)
    if parts.scheme not in ("rtsp", "rtsps") or not parts.hostname:
        raise ValueError(f"not an RTSP URL: {parts.scheme}://{parts.hostname or ''}")
    return parts.hostname, parts.port or (322 if parts.scheme == "rtsps" else 554)


def accepts(address: tuple[str, int], timeout: float = PROBE_TIMEOUT) -> bool:
    try:
        socket.create_connection(address, timeout=timeout).close()
    except OSError:
        return False
    return True


def wait_until_reachable(
    url: str,
    stop: threading.Event,
    log: Callable[[str], None],
    interval: float = PROBE_INTERVAL,
    timeout: float = PROBE_TIMEOUT,
) -> bool:
    """Returns True once the camera's RTSP port accepts a connection, False if
    `stop` is set first. Logs once when it starts waiting and once when the
    camera answers again, not at every probe."""
    address = rtsp_address(url)
    if accepts(address, timeout):
        return True
    log(f"camera unreachable on port {address[1]}: probing every {interval:g} s")
    while not stop.wait(interval):
        if accepts(address, timeout):
            log("camera reachable again: recording")
            return True
    return False
