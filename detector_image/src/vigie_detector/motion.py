"""Cheap motion stage: running-average background on a downscaled grey frame."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SMALL_WIDTH = 160


@dataclass(frozen=True)
class Blob:
    """A moving region, in relative coordinates, with its share inside each zone."""

    x: float
    y: float
    w: float
    h: float
    area: float


class MotionDetector:
    def __init__(
        self,
        learning_rate: float = 0.05,
        threshold: int = 18,
        min_area: float = 0.002,
        global_change: float = 0.4,
    ):
        self.global_change = global_change
        self.learning_rate = learning_rate
        self.threshold = threshold
        self.min_area = min_area
        self.background: np.ndarray | None = None
        self.kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))

    def update(self, small: np.ndarray) -> tuple[np.ndarray, list[Blob]]:
        """small: grey uint8 frame ~160 px wide. Returns (foreground mask, blobs)."""
        if self.background is None:
            self.background = small.astype(np.float32)
            return np.zeros_like(small), []
        diff = cv2.absdiff(small, cv2.convertScaleAbs(self.background))
        _, fg = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, self.kernel)
        if cv2.countNonZero(fg) > self.global_change * fg.size:
            # Most of the picture changed at once: lights or exposure, not an
            # intruder. Start again from this picture instead of chasing it.
            self.background = small.astype(np.float32)
            return np.zeros_like(small), []
        fg = cv2.dilate(fg, self.kernel, iterations=2)
        # Learn slowly where nothing moves, very slowly under moving objects.
        cv2.accumulateWeighted(small, self.background, self.learning_rate, mask=cv2.bitwise_not(fg))
        cv2.accumulateWeighted(small, self.background, self.learning_rate / 10, mask=fg)
        h, w = small.shape
        n, _, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
        blobs = [
            Blob(x / w, y / h, bw / w, bh / h, area / (w * h))
            for x, y, bw, bh, area in stats[1:n]
            if area / (w * h) >= self.min_area
        ]
        return fg, blobs
