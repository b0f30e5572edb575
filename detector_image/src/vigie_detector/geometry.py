"""Relative polygons (0..1) to pixels, cached per frame size."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


def to_pixels(polygon, width: int, height: int) -> np.ndarray:
    pts = np.asarray(polygon, dtype=np.float64) * (width - 1, height - 1)
    return np.round(pts).astype(np.int32).reshape(-1, 1, 2)


@lru_cache(maxsize=256)
def _mask(polygons: tuple, width: int, height: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [to_pixels(p, width, height) for p in polygons], 255)
    return mask


def polygon_mask(polygons, width: int, height: int) -> np.ndarray:
    """uint8 mask (255 inside any polygon) at the given size."""
    key = tuple(tuple(map(tuple, p)) for p in polygons)
    return _mask(key, width, height)


class PrivacyMasker:
    """Fills privacy masks in black, in place, before any analysis or saving."""

    def __init__(self, polygons):
        self.polygons = [list(map(tuple, p)) for p in polygons]
        self._pixels: dict[tuple[int, int], list[np.ndarray]] = {}

    def apply(self, frame: np.ndarray) -> np.ndarray:
        if not self.polygons:
            return frame
        h, w = frame.shape[:2]
        pts = self._pixels.get((w, h))
        if pts is None:
            pts = self._pixels[(w, h)] = [to_pixels(p, w, h) for p in self.polygons]
        cv2.fillPoly(frame, pts, 0)
        return frame
