"""Helpers shared by the unit tests (real footage, configurations)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from vigie_detector.config import DetectorConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "detector_image" / "examples"


def read_frames(path: Path, limit: int, step: int = 2) -> list[np.ndarray]:
    """Every `step`-th frame (vtest is 10 fps: step 2 gives the 5 fps substream rate)."""
    cap = cv2.VideoCapture(str(path))
    frames, i = [], 0
    while len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            frames.append(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
        i += 1
    cap.release()
    return frames


def config(**camera) -> DetectorConfig:
    cam = {"id": "cam1", "site": "site-a", "url": "rtsp://127.0.0.1/stream"}
    cam.update(camera)
    return DetectorConfig.model_validate({"cameras": [cam]})
