"""The recorder's wait for a camera that is away, against real sockets."""

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
import vigie_reach as reach


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_port_comes_from_the_url_or_is_rtsp_s():
    assert reach.rtsp_address("rtsp://10.1.2.3:8554/stream") == ("10.1.2.3", 8554)
    assert reach.rtsp_address("rtsp://u:p@cam.example/stream") == ("cam.example", 554)
    with pytest.raises(ValueError, match="not an RTSP URL"):
        reach.rtsp_address("http://10.1.2.3/")


def test_a_listening_camera_is_recorded_at_once_without_a_line_in_the_journal():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        lines = []
        url = f"rtsp://127.0.0.1:{port}/s"
        assert reach.wait_until_reachable(url, threading.Event(), lines.append)
    assert lines == []


def test_a_camera_that_starts_listening_is_seen_within_one_probe():
    port, lines, started = free_port(), [], threading.Event()
    result = {}

    def wait():
        started.set()
        result["ok"] = reach.wait_until_reachable(
            f"rtsp://127.0.0.1:{port}/s", threading.Event(), lines.append, interval=0.2
        )
        result["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    started.wait()
    time.sleep(0.7)  # a few refused probes
    with socket.create_server(("127.0.0.1", port)):
        back = time.monotonic()
        waiter.join(timeout=5)
    assert result["ok"] is True
    assert result["at"] - back < 0.2 + reach.PROBE_TIMEOUT
    assert lines == [
        f"camera unreachable on port {port}: probing every 0.2 s",
        "camera reachable again: recording",
    ]


def test_a_silent_address_costs_one_bounded_probe_each_time():
    # 192.0.2.0/24 (TEST-NET-1, RFC 5737) is never routed: the SYN goes unanswered
    # or the route is refused at once; either way a probe ends within its bound.
    began = time.monotonic()
    assert reach.accepts(("192.0.2.1", 554), timeout=0.3) is False
    assert time.monotonic() - began < 1.0


def test_stopping_ends_the_wait():
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    began = time.monotonic()
    url = f"rtsp://127.0.0.1:{free_port()}/s"
    assert reach.wait_until_reachable(url, stop, lambda _: None) is False
    assert time.monotonic() - began < 2
