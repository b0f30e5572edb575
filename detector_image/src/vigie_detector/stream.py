"""One camera's stream: read, analyse, reconnect with exponential backoff."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

import cv2

from vigie_detector import metrics
from vigie_detector.analyzer import CameraAnalyzer
from vigie_detector.events import Event

# RTSP over TCP: no lost UDP packets on busy links, passes firewalls with one port.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
log = logging.getLogger(__name__)
BACKOFF_START_S, BACKOFF_MAX_S = 1.0, 30.0
TIMEOUT_MS = 5000


class CameraStream(threading.Thread):
    def __init__(
        self, analyzer: CameraAnalyzer, emit: Callable[[Event], None], stop: threading.Event
    ):
        cam = analyzer.cam
        super().__init__(name=f"cam-{cam.site}-{cam.id}", daemon=True)
        self.analyzer, self.emit, self.stop = analyzer, emit, stop
        self.labels = (cam.site, cam.id)
        self.up = False
        self.recent: deque[float] = deque(maxlen=200)

    def run(self) -> None:
        backoff = BACKOFF_START_S
        if self.analyzer.tamper is not None:
            self.analyzer.tamper.expect_frames_from(time.monotonic())
        while not self.stop.is_set():
            metrics.RECONNECTS.labels(*self.labels).inc()
            cap = cv2.VideoCapture(
                self.analyzer.cam.stream_url,
                cv2.CAP_FFMPEG,
                [
                    cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                    TIMEOUT_MS,
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                    TIMEOUT_MS,
                ],
            )
            if cap.isOpened() and self._read(cap):
                backoff = BACKOFF_START_S
            cap.release()
            self._set_up(False)
            if self.stop.wait(backoff):
                break
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _read(self, cap: cv2.VideoCapture) -> bool:
        """Read until the stream fails or we stop. True when frames came."""
        got = False
        # Frames are picked by their stream timestamps, not by when they arrive:
        # a 5 fps substream analysed at 5 fps loses no frame to network bursts.
        min_gap = 0.7 / self.analyzer.cam.fps
        last = -1e9
        while not self.stop.is_set():
            if not cap.grab():
                metrics.DECODE_ERRORS.labels(*self.labels).inc()
                return got
            now = time.monotonic()
            metrics.RECEIVED.labels(*self.labels).inc()
            pts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            stamp = pts if pts > 0 else now
            if 0 <= stamp - last < min_gap:
                continue  # faster than the analysis rate: skip without converting
            ok, frame = cap.retrieve()
            if not ok:
                metrics.DECODE_ERRORS.labels(*self.labels).inc()
                continue
            last = stamp
            got = True
            self._set_up(True)
            started = time.perf_counter()
            events = self.analyzer.process(frame, dt.datetime.now(dt.UTC), now)
            metrics.LATENCY.labels(*self.labels).observe(time.perf_counter() - started)
            metrics.FRAMES.labels(*self.labels).inc()
            self.recent.append(now)
            for ev in events:
                self.emit(ev)
        return got

    def _set_up(self, up: bool) -> None:
        if up != self.up:
            self.up = up
            metrics.CONNECTED.labels(*self.labels).set(1 if up else 0)
            log.info("%s/%s stream %s", *self.labels, "up" if up else "down")

    def fps(self, now: float) -> float:
        return sum(1 for t in self.recent if now - t <= 10.0) / 10.0

    def check_signal(self) -> None:
        for ev in self.analyzer.check_signal(dt.datetime.now(dt.UTC), time.monotonic()):
            self.emit(ev)
