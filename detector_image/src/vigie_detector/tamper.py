"""Camera tamper: covered, blinded, defocused, moved, black, frozen, signal loss.

Every feature is compared with a reference learned from the stream itself and
refreshed slowly (exponential average, ``reference_time_constant_s``), so slow
changes such as dusk move the reference instead of raising alarms. Features are
chosen to be insensitive to global gain (lights, auto-exposure): texture and
sharpness are ratios, the scene layout is a normalised correlation.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vigie_detector.config import TamperConfig

STRUCTURE_SIZE = (40, 24)
FROZEN_MAX_CHANGE = 6  # grey levels on the 160 px frame


@dataclass
class Features:
    mean: float
    std: float
    saturated: float
    energy: float  # mean gradient magnitude: texture
    sharpness: float  # high frequencies relative to contrast (gain-invariant)
    structure: np.ndarray  # normalised coarse gradient map: scene layout


def features(small: np.ndarray, mid: np.ndarray) -> Features:
    """small: grey ~160 px wide; mid: grey ~320 px wide (for sharpness)."""
    mean, std = cv2.meanStdDev(small)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy)
    coarse = cv2.resize(
        cv2.GaussianBlur(mag, (5, 5), 0), STRUCTURE_SIZE, interpolation=cv2.INTER_AREA
    )
    coarse = coarse.ravel() - coarse.mean()
    norm = float(np.linalg.norm(coarse))
    _, lap_std = cv2.meanStdDev(cv2.Laplacian(mid, cv2.CV_32F, ksize=3))
    _, mid_std = cv2.meanStdDev(mid)
    return Features(
        mean=float(mean[0, 0]),
        std=float(std[0, 0]),
        saturated=float(np.count_nonzero(small >= 250)) / small.size,
        energy=float(mag.mean()),
        sharpness=float(lap_std[0, 0]) / (float(mid_std[0, 0]) + 2.0),
        structure=coarse / norm if norm > 1e-6 else coarse,
    )


@dataclass
class Reference:
    std: float
    energy: float
    sharpness: float
    structure: np.ndarray

    @classmethod
    def of(cls, f: Features) -> Reference:
        return cls(f.std, f.energy, f.sharpness, f.structure.copy())

    def learn(self, f: Features, alpha: float) -> None:
        self.std += alpha * (f.std - self.std)
        self.energy += alpha * (f.energy - self.energy)
        self.sharpness += alpha * (f.sharpness - self.sharpness)
        self.structure += alpha * (f.structure - self.structure)


def classify(f: Features, ref: Reference) -> tuple[str, float] | None:
    """The tamper kind this frame shows against the reference, with a 0..1 score."""
    if f.mean < 14 and f.std < 6:
        return "black", 1.0 - f.mean / 14
    if f.saturated > 0.5 or (f.mean > 215 and f.std < 0.4 * ref.std):
        return "blinded", max(f.saturated, f.mean / 255)
    energy_ratio = f.energy / (ref.energy + 1e-6)
    if energy_ratio < 0.3 and f.std < 0.6 * ref.std:
        return "covered", 1.0 - energy_ratio
    sharp_ratio = f.sharpness / (ref.sharpness + 1e-6)
    if sharp_ratio < 0.4 and energy_ratio < 0.75:
        return "defocus", 1.0 - sharp_ratio
    ref_norm = float(np.linalg.norm(ref.structure))
    similarity = float(f.structure @ ref.structure) / (ref_norm + 1e-6)
    if similarity < 0.45 and energy_ratio > 0.3:
        return "moved", 1.0 - max(similarity, 0.0)
    return None


class TamperDetector:
    def __init__(self, cfg: TamperConfig):
        self.cfg = cfg
        self.ref: Reference | None = None
        self.started: float | None = None
        self.candidate: tuple[str, float] | None = None  # (kind, since)
        self.reported: str | None = None  # kind of the ongoing, already reported tamper
        self.last_event: dict[str, float] = {}
        self.last_frame_t: float | None = None
        self.prev_small: np.ndarray | None = None
        self.frozen_since: float | None = None
        self.lost = False

    @property
    def tampered(self) -> bool:
        """A tamper is ongoing (other detectors should not trust the picture)."""
        return self.reported is not None

    def _fire(self, kind: str, t: float) -> bool:
        last = self.last_event.get(kind)
        if last is not None and t - last < self.cfg.cooldown_s:
            return False
        self.last_event[kind] = t
        return True

    def update(self, small: np.ndarray, mid: np.ndarray, t: float) -> list[tuple[str, float]]:
        """Feed one frame at monotonic time t (s). Returns the tamper events raised."""
        events: list[tuple[str, float]] = []
        dt = 0.2 if self.last_frame_t is None else min(max(t - self.last_frame_t, 0.0), 1.0)
        self.last_frame_t = t
        self.lost = False
        if self.started is None:
            self.started = t
        f = features(small, mid)
        frozen = self._frozen(small, t)
        if self.ref is None:
            self.ref = Reference.of(f)
            return events
        warming = t - self.started < self.cfg.warmup_s
        found = ("frozen", 1.0) if frozen else classify(f, self.ref)
        if warming:
            self.ref.learn(f, 0.3)
            return events
        if found is None:
            self.candidate = None
            self.reported = None
            self.ref.learn(f, dt / self.cfg.reference_time_constant_s)
            return events
        kind, score = found
        if self.candidate is None or self.candidate[0] != kind:
            self.candidate = (kind, t)
        since = self.candidate[1]
        if self.reported is None and t - since >= self.cfg.persist_s:
            self.reported = kind
            if self._fire(kind, t):
                events.append((kind, score))
        if t - since >= self.cfg.accept_after_s:
            # A lasting change (camera re-aimed on purpose): it becomes the reference.
            self.ref = Reference.of(f)
            self.started, self.candidate, self.reported = t, None, None
        return events

    def _frozen(self, small: np.ndarray, t: float) -> bool:
        # "Identical" up to re-encoding: a hung encoder's repeated picture is
        # re-quantised at every key frame (max change of a few levels), while a
        # live picture always has a moving or noisy pixel well above that.
        same = (
            self.prev_small is not None
            and self.prev_small.shape == small.shape
            and int(cv2.absdiff(small, self.prev_small).max()) <= FROZEN_MAX_CHANGE
        )
        self.prev_small = small.copy()
        if not same:
            self.frozen_since = None
            return False
        if self.frozen_since is None:
            self.frozen_since = t
        return t - self.frozen_since >= self.cfg.frozen_after_s - self.cfg.persist_s

    def expect_frames_from(self, t: float) -> None:
        """A stream was opened (or is being opened) at t: signal loss counts from here."""
        if self.last_frame_t is None:
            self.last_frame_t = t

    def check_signal(self, t: float) -> list[tuple[str, float]]:
        """Call periodically: raises signal_loss when no frame came for too long."""
        if self.last_frame_t is None or self.lost:
            return []
        if t - self.last_frame_t >= self.cfg.signal_loss_after_s:
            self.lost = True
            if self._fire("signal_loss", t):
                return [("signal_loss", 1.0)]
        return []
