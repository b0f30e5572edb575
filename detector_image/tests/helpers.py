"""Helpers shared by the unit tests (real footage, configurations)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
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


def fire_footage_dir() -> Path:
    """Real fire clips: $VIGIE_FOOTAGE_DIR/fire (default ../shared/data/footage, beside
    the repository). They are not redistributable, so they are never committed."""
    base = os.environ.get("VIGIE_FOOTAGE_DIR") or str(ROOT.parent / "shared" / "data" / "footage")
    return Path(base) / "fire"


def need(path: Path) -> Path:
    """A clip a test cannot do without: in CI its absence fails the run, never skips it."""
    if not path.is_file():
        message = f"missing footage {path} (set VIGIE_FOOTAGE_DIR; see benchmarks/footage.md)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def frames_at(path: Path, fps: float = 5.0, width: int = 640) -> list[np.ndarray]:
    """All frames of a clip at `fps` (nearest earlier frame), resized to `width`."""
    cap = cv2.VideoCapture(str(path))
    src = cap.get(cv2.CAP_PROP_FPS) or fps
    out, i, due = [], 0, 0.0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i / src >= due - 1e-6:
            h, w = frame.shape[:2]
            size = (width, round(h * width / w))
            out.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
            due += 1 / fps
        i += 1
    cap.release()
    return out
