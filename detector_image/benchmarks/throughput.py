"""Streams per core at 640x360, 5 fps, H.264: decode alone vs decode + analysis.

The process is pinned to ONE core and timed in CPU seconds of the process (all
its threads), so frames per CPU-second is per core and stays honest when other
jobs share the machine. The stream is the
camera simulator's file (real footage, H.264 baseline, 640x360, 5 fps), decoded by
OpenCV's FFmpeg backend exactly as the detector decodes RTSP.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import cv2
from common import FPS, config
from vigie_detector.analyzer import CameraAnalyzer

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


def decode(path: str, frames: int, analyzer: CameraAnalyzer | None = None) -> float:
    """frames/s over `frames` frames (the file is re-opened when it ends)."""
    n = 0
    start = time.process_time()
    while n < frames:
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
        while n < frames:
            ok, frame = cap.read()
            if not ok:
                break
            if analyzer is not None:
                analyzer.process(frame, T0 + dt.timedelta(seconds=n / FPS), n / FPS)
            n += 1
        cap.release()
    return n / (time.process_time() - start)


def measure(h264: str, frames: int) -> list[tuple[str, float]]:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    rows = [("decode only", decode(h264, frames))]
    for label, classes in [
        ("decode + tamper", ["tamper"]),
        ("decode + tamper + intrusion", ["tamper", "intrusion"]),
    ]:
        cfg = config(classes)
        rows.append((label, decode(h264, frames, CameraAnalyzer(cfg.cameras[0], cfg))))
    return rows
