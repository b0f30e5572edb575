"""Tamper and nuisance injected into real frames (tests and benchmarks).

Each function maps (frame, rng) to a new frame, the way a real camera would see it.
"""

from __future__ import annotations

import cv2
import numpy as np


def covered(frame, rng):
    """A hand or a cloth on the lens: dark, out of focus, a little light leaks."""
    h, w = frame.shape[:2]
    tiny = cv2.GaussianBlur(
        cv2.resize(frame, (w // 16, h // 16), interpolation=cv2.INTER_AREA), (0, 0), 2
    )
    out = cv2.resize(tiny, (w, h), interpolation=cv2.INTER_LINEAR) * 0.2 + 8
    return noisy(out, rng, 2.0)


def black(frame, rng):
    """Signal black (a cut video cable on an encoder, a dead sensor)."""
    return np.zeros_like(frame)


def defocus(frame, rng):
    """Lens turned out of focus or sprayed: heavy blur, same light."""
    return cv2.GaussianBlur(frame, (0, 0), 7)


def moved(frame, rng):
    """The camera was turned: the same place seen from elsewhere (zoomed, shifted)."""
    h, w = frame.shape[:2]
    m = np.float32([[1.6, 0.15, -0.55 * w], [-0.1, 1.6, -0.1 * h]])
    return cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def blinded(frame, rng):
    """A torch or a laser pointed at the lens: most pixels saturate."""
    return cv2.addWeighted(frame, 0.3, np.full_like(frame, 255), 0.9, 0)


def noisy(frame, rng, sigma: float = 10.0):
    """Sensor noise (gain pushed up at night)."""
    cv2.setRNGSeed(int(rng.integers(1 << 30)))
    noise = np.empty(frame.shape, np.float32)
    cv2.randn(noise, 0.0, sigma)
    return cv2.add(frame.astype(np.float32), noise).clip(0, 255).astype(np.uint8)


def gain(frame, factor: float):
    """Global lighting change (dusk, lights switched, auto-exposure)."""
    return np.clip(frame.astype(np.float32) * factor, 0, 255).astype(np.uint8)


TAMPERS = {
    "covered": covered,
    "black": black,
    "defocus": defocus,
    "moved": moved,
    "blinded": blinded,
}
