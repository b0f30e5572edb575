"""Intrusion: motion inside a zone, verified as a person by OpenCV's HOG detector.

Stage 1 (every frame, ~0.1 ms): moving blobs on the ~160 px frame, kept when
they overlap a zone. Stage 2 (only when motion lasted ``persistence_frames`` in
a zone, at most every ``verify_every_frames``): HOG people detector on the moved
regions of the full analysis frame, scaled so a person is ~150 px tall. The
model ships inside OpenCV: nothing is downloaded. One event per zone per cool-down.
"""

from __future__ import annotations

import cv2
import numpy as np

from vigie_detector.config import IntrusionConfig
from vigie_detector.geometry import polygon_mask
from vigie_detector.motion import Blob

WHOLE_FRAME = {"frame": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]}
PERSON_PX = 150  # target person height for HOG (its window is 64x128)
MAX_REGIONS = 3


class PeopleVerifier:
    def __init__(self) -> None:
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def best_score(self, gray: np.ndarray, blob: Blob, min_height_px: float) -> float:
        """Highest HOG score of a person of at least min_height_px in the blob's region."""
        H, W = gray.shape
        bh = max(blob.h * H, min_height_px)
        scale = PERSON_PX / bh
        pad_x, pad_y = 0.35 * bh, 0.2 * bh
        x0 = int(max(0, blob.x * W - pad_x))
        y0 = int(max(0, blob.y * H - pad_y))
        x1 = int(min(W, (blob.x + blob.w) * W + pad_x))
        y1 = int(min(H, (blob.y + blob.h) * H + pad_y))
        crop = gray[y0:y1, x0:x1]
        if crop.size == 0:
            return -np.inf
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        # Keep the pyramid short: cap the region, pad it to at least one window.
        if max(crop.shape) > 480:
            f = 480 / max(crop.shape)
            crop = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            scale *= f
        ph, pw = max(0, 136 - crop.shape[0]), max(0, 72 - crop.shape[1])
        if ph or pw:
            crop = cv2.copyMakeBorder(crop, 0, ph, 0, pw, cv2.BORDER_REPLICATE)
        rects, weights = self.hog.detectMultiScale(
            crop, winStride=(8, 8), padding=(8, 8), scale=1.1
        )
        best = -np.inf
        for (_, _, _, rh), w in zip(rects, np.ravel(weights), strict=False):
            if rh / scale >= min_height_px:
                best = max(best, float(w))
        return best


class IntrusionDetector:
    def __init__(
        self, cfg: IntrusionConfig, zones: dict, frame_height: int, verifier: PeopleVerifier
    ):
        self.cfg = cfg
        self.zones = zones or WHOLE_FRAME
        self.verifier = verifier
        min_h = cfg.min_height * frame_height
        if cfg.pixels_per_metre:
            min_h = max(min_h, 1.0 * cfg.pixels_per_metre)  # a crouching person is ~1 m
        self.min_height_px = min_h
        self.frames_with_motion = dict.fromkeys(self.zones, 0)
        self.last_verify = dict.fromkeys(self.zones, -(10**9))
        self.last_event: dict[str, float] = {}
        self.frame_no = 0
        self.verifications = 0

    def reset(self) -> None:
        self.frames_with_motion = dict.fromkeys(self.zones, 0)

    def update(
        self, fg: np.ndarray, blobs: list[Blob], gray: np.ndarray, t: float
    ) -> list[tuple[str, float]]:
        """One frame while the site is closed. Returns (zone, score) events."""
        self.frame_no += 1
        events = []
        h, w = fg.shape
        frame_h = gray.shape[0]
        for name, polygon in self.zones.items():
            inside = [
                b for b in blobs if self._overlap(fg, polygon_mask([polygon], w, h), b) >= 0.2
            ]
            inside = [b for b in inside if b.h * frame_h >= 0.5 * self.min_height_px]
            if not inside:
                self.frames_with_motion[name] = 0
                continue
            self.frames_with_motion[name] += 1
            last = self.last_event.get(name)
            if last is not None and t - last < self.cfg.cooldown_s:
                continue
            if self.frames_with_motion[name] < self.cfg.persistence_frames:
                continue
            if self.frame_no - self.last_verify[name] < self.cfg.verify_every_frames:
                continue
            self.last_verify[name] = self.frame_no
            self.verifications += 1
            regions = sorted(inside, key=lambda b: b.area, reverse=True)[:MAX_REGIONS]
            score = max(self.verifier.best_score(gray, b, self.min_height_px) for b in regions)
            if score >= self.cfg.hog_threshold:
                self.last_event[name] = t
                events.append((name, score))
        return events

    @staticmethod
    def _overlap(fg: np.ndarray, zone: np.ndarray, b: Blob) -> float:
        h, w = fg.shape
        x0, y0 = int(b.x * w), int(b.y * h)
        x1, y1 = x0 + max(1, int(b.w * w)), y0 + max(1, int(b.h * h))
        moving = fg[y0:y1, x0:x1]
        total = cv2.countNonZero(moving)
        if total == 0:
            return 0.0
        return cv2.countNonZero(cv2.bitwise_and(moving, zone[y0:y1, x0:x1])) / total
