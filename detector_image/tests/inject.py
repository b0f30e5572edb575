"""Tamper and nuisance injected into real frames (tests and benchmarks).

Each tamper maps (frame, rng) to the frame a real camera would deliver; its
strength is drawn from `rng` within a realistic range, so repeated trials cover
light and heavy cases. The same rng state gives the same result.
"""

from __future__ import annotations

import cv2
import numpy as np


def covered(frame, rng):
    """A hand or a cloth on the lens: dark, out of focus, a little light leaks."""
    h, w = frame.shape[:2]
    level = rng.uniform(0.1, 0.35)
    tiny = cv2.resize(frame, (w // 16, h // 16), interpolation=cv2.INTER_AREA)
    tiny = cv2.GaussianBlur(tiny, (0, 0), 2)
    out = cv2.resize(tiny, (w, h), interpolation=cv2.INTER_LINEAR) * level + 8
    return noisy(out, rng, 2.0)


def black(frame, rng):
    """Signal black (a cut video cable on an encoder, a dead sensor)."""
    return np.zeros_like(frame)


def defocus(frame, rng):
    """Lens turned out of focus or sprayed: heavy blur, same light."""
    return cv2.GaussianBlur(frame, (0, 0), rng.uniform(5.0, 9.0))


def moved(frame, rng):
    """The camera was turned: the scene seen from elsewhere (rotated, shifted, zoomed)."""
    h, w = frame.shape[:2]
    angle = rng.choice([-1, 1]) * rng.uniform(8, 25)
    zoom = rng.uniform(1.2, 1.7)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    m[0, 2] += rng.choice([-1, 1]) * rng.uniform(0.15, 0.35) * w
    m[1, 2] += rng.uniform(-0.15, 0.15) * h
    return cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def blinded(frame, rng):
    """A torch or a laser pointed at the lens: most pixels saturate."""
    return cv2.addWeighted(frame, 0.3, np.full_like(frame, 255), rng.uniform(0.8, 1.0), 0)


def noisy(frame, rng, sigma: float = 10.0):
    """Sensor noise (gain pushed up at night)."""
    cv2.setRNGSeed(int(rng.integers(1 << 30)))
    noise = np.empty(frame.shape, np.float32)
    cv2.randn(noise, 0.0, sigma)
    return cv2.add(frame.astype(np.float32), noise).clip(0, 255).astype(np.uint8)


def gain(frame, factor: float):
    """Global lighting change (dusk, lights switched, auto-exposure)."""
    return np.clip(frame.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def once_per_trial(tamper, rng):
    """Fix a tamper's random strength for a whole trial (a hand does not flicker)."""
    seed = int(rng.integers(1 << 30))
    return lambda frame, _rng=None: tamper(frame, np.random.default_rng(seed))


TAMPERS = {
    "covered": covered,
    "black": black,
    "defocus": defocus,
    "moved": moved,
    "blinded": blinded,
}
