"""Shared by the benchmarks: footage, configs, the injection functions of the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "detector_image" / "tests"))

from inject import TAMPERS, gain, once_per_trial  # noqa: E402
from vigie_detector.config import DetectorConfig  # noqa: E402

FPS = 5
FLOOR = [[0.0, 0.3], [1.0, 0.3], [1.0, 1.0], [0.0, 1.0]]
__all__ = [
    "FPS",
    "TAMPERS",
    "config",
    "footage",
    "frames_5fps",
    "gain",
    "noise_bank",
    "once_per_trial",
]


def footage() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "footage.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def frames_5fps(path: Path, width: int = 640) -> list[np.ndarray]:
    """All frames of a video at 5 fps, resized to `width`."""
    cap = cv2.VideoCapture(str(path))
    step = max(1, round((cap.get(cv2.CAP_PROP_FPS) or FPS) / FPS))
    out, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            h, w = frame.shape[:2]
            out.append(
                cv2.resize(frame, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
            )
        i += 1
    return out


def noise_bank(shape, sigma: float, n: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Pre-drawn sensor noise frames (drawing noise per frame would dominate the timing)."""
    cv2.setRNGSeed(seed)
    bank = []
    for _ in range(n):
        noise = np.empty(shape, np.int16)
        cv2.randn(noise, 0, sigma)
        bank.append(noise)
    return bank


def add_noise(frame: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return cv2.add(frame.astype(np.int16), noise).clip(0, 255).astype(np.uint8)


def config(classes, **detection) -> DetectorConfig:
    det = {"classes": classes, "zones": {"floor": FLOOR}, "active": "always"}
    det.update(detection)
    return DetectorConfig.model_validate(
        {"cameras": [{"id": "bench", "site": "bench", "url": "file:", "detection": det}]}
    )
