"""Shared fixtures: real footage (opencv-doc's sample videos, scripts/footage.sh)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from vigie_detector.config import DetectorConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "detector_image" / "examples"


@pytest.fixture(scope="session")
def footage() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "footage.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(out)


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


@pytest.fixture(scope="session")
def vtest_frames(footage: Path) -> list[np.ndarray]:
    """The first 60 s of vtest.avi at 5 fps, 640x480 (people walking in a hall)."""
    return read_frames(footage / "vtest.avi", 300)


def config(**camera) -> DetectorConfig:
    cam = {"id": "cam1", "site": "site-a", "url": "rtsp://127.0.0.1/stream"}
    cam.update(camera)
    return DetectorConfig.model_validate({"cameras": [cam]})
