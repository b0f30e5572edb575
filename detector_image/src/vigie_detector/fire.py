"""Fire: flames and smoke, with the classical signals of video fire detection.

Everything runs on a ~160 px wide colour frame (privacy masks already filled).

Flame (Chen et al. 2004 colour rules, Toreyin et al. 2006 flicker): a pixel is
flame-coloured when it is bright, red-dominant (R > G > B) and saturated enough
for its redness. A colour is not a fire: red coats, tail lights, a yellow box
are flame-coloured too. What sets flames apart is that the coloured region stays
anchored (the same pixels are coloured again and again, ``persistence``) while
its interior *flickers* (the colour mask and the brightness change from frame to
frame over most of the region, not only at its border as for a moving object).
A candidate region must be flickering and anchored for ``persist_s`` (and must
not shrink away) before an event is raised.

Smoke: a low-saturation, greyish veil over a textured background: the region
differs from the background learned earlier, its texture (gradient energy) drops
against the background's, and it drifts (keeps changing slowly). Same
persistence rule.

One event per fire per zone: the detector stays quiet while the fire lasts, and
after it went out a new event needs ``cooldown_s`` since the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vigie_detector.config import FireConfig
from vigie_detector.geometry import polygon_mask

FIRE_WIDTH = 160
SEARCH = 12  # px of the 160 px frame a rigid object may move between two frames
BLOCK = 8  # smoke is judged per 8x8 block of the 160 px frame


def flame_colour(bgr: np.ndarray) -> np.ndarray:
    """uint8 mask (1 = flame-coloured): Chen's RGB rule, R > 135, R >= G > B, and
    HSV saturation S >= (255 - R) * 55 / 135, plus a clear red-blue gap."""
    b, g, r = cv2.split(bgr)
    mask = cv2.compare(r, 135, cv2.CMP_GT)
    mask &= cv2.compare(r, g, cv2.CMP_GE)
    mask &= cv2.compare(g, b, cv2.CMP_GT)
    red_blue = cv2.subtract(r, b)
    mask &= cv2.compare(red_blue, 60, cv2.CMP_GT)
    if not cv2.countNonZero(mask):
        return mask // 255
    # With R the largest channel and B the smallest, S = (R - B) * 255 / R, so
    # S * 135 >= (255 - R) * 55  <=>  (R - B) * 255 * 135 >= (255 - R) * 55 * R.
    rf = r.astype(np.float32)
    sat_ok = red_blue.astype(np.float32) * (255 * 135) >= (255 - rf) * 55 * rf
    return (mask // 255) & sat_ok.view(np.uint8)


@dataclass
class FireState:
    since: float | None = None  # first time a candidate region was seen
    peak: float = 0.0
    last_seen: float = -1e9


class FireDetector:
    def __init__(self, cfg: FireConfig, zones: dict | None):
        self.cfg = cfg
        self.zones = zones or {}
        self.prev_colour: np.ndarray | None = None
        self.prev_y: np.ndarray | None = None
        self.persistence: np.ndarray | None = None  # EMA of "flame-coloured"
        self.flicker: np.ndarray | None = None  # EMA of "changed while coloured"
        self.bg: np.ndarray | None = None  # slow background (grey, float)
        self.bg_energy: np.ndarray | None = None  # background texture per block
        self.smoke_drift: np.ndarray | None = None  # EMA of "block changed" (smoke)
        self.state: dict[tuple[str, str], FireState] = {}
        self.last_event: dict[tuple[str, str], float] = {}
        self.reported: set[tuple[str, str]] = set()
        self.frames = 0
        self.last_t: float | None = None

    def reset(self) -> None:
        """Forget the pictures (not the events: the cool-down goes on)."""
        self.prev_colour = self.prev_y = None

    # -- per frame ---------------------------------------------------------------
    def update(self, bgr_small: np.ndarray, t: float) -> list[tuple[str, str | None, float]]:
        """bgr_small: BGR ~160 px wide. Returns (kind, zone, score) events."""
        dt = 0.2 if self.last_t is None else min(max(t - self.last_t, 0.01), 1.0)
        self.last_t = t
        self.frames += 1
        alpha = min(1.0, dt / self.cfg.memory_s)
        if self.prev_y is not None and self.prev_y.shape != bgr_small.shape[:2]:
            self.reset()  # the stream changed resolution (reconfigured camera)
        colour = flame_colour(bgr_small)
        y = cv2.cvtColor(bgr_small, cv2.COLOR_BGR2GRAY)
        found: dict[str, tuple[np.ndarray, float]] = {}
        if self.prev_colour is None:
            h, w = y.shape
            self.persistence = colour.astype(np.float32)
            self.flicker = np.zeros((h, w), np.float32)
            self.shapeless = np.zeros((h, w), np.float32)
            self.bg = y.astype(np.float32)
            self.bg_energy = self._block_energy(y)
            self.smoke_drift = np.zeros_like(self.bg_energy)
            self.smoke_blocks = np.zeros_like(self.bg_energy)
            self.smoke_since = t
        else:
            found["flame"] = self._flame(colour, y, alpha)
            # Smoke is slow: judged on every other frame (half the cost).
            if "smoke" in self.cfg.kinds and self.frames % 2 == 0:
                found["smoke"] = self._smoke(bgr_small, y, min(1.0, 2 * alpha))
        self.prev_colour, self.prev_y = colour, y
        if "flame" not in self.cfg.kinds:
            found.pop("flame", None)
        return self._decide(found, y.shape, t)

    def _flame(self, colour: np.ndarray, y: np.ndarray, alpha: float):
        cv2.accumulateWeighted(colour.astype(np.float32), self.persistence, alpha)
        # Flicker: inside (or at) coloured pixels, the colour toggled or the
        # brightness jumped since the previous frame.
        toggled = colour != self.prev_colour
        jumped = cv2.absdiff(y, self.prev_y) > self.cfg.flicker_luma
        either = (colour | self.prev_colour).astype(bool)
        changed = (toggled | (jumped & either)).astype(np.float32)
        cv2.accumulateWeighted(changed, self.flicker, alpha)
        anchored = self.persistence >= self.cfg.min_persistence
        flickering = self.flicker >= self.cfg.min_flicker
        candidate = (anchored & flickering).astype(np.uint8)
        # Non-rigid most of the time: a moving object sometimes deforms (turns,
        # blurs), a flame almost never moves as one piece.
        cv2.accumulateWeighted(
            self._not_rigid(candidate, y).astype(np.float32), self.shapeless, alpha
        )
        candidate &= (self.shapeless >= 0.5).astype(np.uint8)
        # Interior flicker: the share of the anchored coloured area that flickers.
        area = int(np.count_nonzero(anchored))
        if area == 0:
            return candidate, 0.0
        share = float(np.count_nonzero(candidate)) / area
        if share < self.cfg.min_flicker_share:
            return np.zeros_like(candidate), share
        return candidate, share

    def _not_rigid(self, candidate: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Drop regions whose change a shift explains: a moving object, not a flame.

        For each region, the best translation of the previous frame (within
        SEARCH px) is compared with no translation: a rigid object that moved
        matches much better once shifted; a flame changes shape and does not.
        """
        if not cv2.countNonZero(candidate):
            return candidate
        n, labels, stats, _ = cv2.connectedComponentsWithStats(candidate, connectivity=8)
        h, w = y.shape
        keep_label = np.zeros(n, np.uint8)
        for i in range(1, n):
            x, yy, bw, bh, area = stats[i]
            if area < 4:
                continue
            x0, y0 = max(0, x - 2), max(0, yy - 2)
            x1, y1 = min(w, x + bw + 2), min(h, yy + bh + 2)
            patch = y[y0:y1, x0:x1]
            sx0, sy0 = max(0, x0 - SEARCH), max(0, y0 - SEARCH)
            sx1, sy1 = min(w, x1 + SEARCH), min(h, y1 + SEARCH)
            area_prev = self.prev_y[sy0:sy1, sx0:sx1]
            ssd = cv2.matchTemplate(area_prev, patch, cv2.TM_SQDIFF)
            still = float(ssd[y0 - sy0, x0 - sx0])
            if still <= 0 or float(ssd.min()) / still >= self.cfg.rigid_ratio:
                keep_label[i] = 1
        return keep_label[labels]

    def _block_energy(self, y: np.ndarray) -> np.ndarray:
        gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3)
        mag = cv2.magnitude(gx, gy)
        h, w = y.shape
        return cv2.resize(mag, (w // BLOCK, h // BLOCK), interpolation=cv2.INTER_AREA)

    def _smoke(self, bgr: np.ndarray, y: np.ndarray, alpha: float):
        cfg = self.cfg
        h, w = y.shape
        bw, bh = w // BLOCK, h // BLOCK
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        sat = cv2.resize(hsv[..., 1], (bw, bh), interpolation=cv2.INTER_AREA)
        energy = self._block_energy(y)
        delta = cv2.resize(y.astype(np.float32) - self.bg, (bw, bh), interpolation=cv2.INTER_AREA)
        diff_bg = np.abs(delta)
        moving = cv2.resize(
            cv2.absdiff(y, self.prev_y).astype(np.float32), (bw, bh), interpolation=cv2.INTER_AREA
        )
        drifting = ((moving > 1.0) & (moving < 10.0)).astype(np.float32)
        cv2.accumulateWeighted(drifting, self.smoke_drift, alpha)
        changed = diff_bg > 6.0
        if changed.mean() > 0.5:
            # Most of the picture changed: the scene moved or the light switched.
            # Smoke does not appear all at once: learn this picture afresh.
            self.bg = y.astype(np.float32)
            self.bg_energy = energy
            self.smoke_blocks[:] = 0
            self.smoke_since = self.last_t
            return np.zeros((h, w), np.uint8), 0.0
        softened = energy < cfg.smoke_softening * self.bg_energy
        textured = self.bg_energy > 12.0
        # A greyish veil that lightens what is behind it (dark clothes darken it).
        veiled = (delta > 6.0) & (sat < cfg.smoke_max_saturation)
        blocks = (softened & textured & veiled & (self.smoke_drift > 0.3)).astype(np.float32)
        cv2.accumulateWeighted(blocks, self.smoke_blocks, alpha)
        # The background learns slowly, and not under the candidate smoke.
        slow = alpha * dt_ratio(cfg)
        warming = self.last_t - self.smoke_since < cfg.smoke_warmup_s
        if warming:  # learn fast at first: no ghost of who stood there at start
            slow = min(1.0, alpha * cfg.memory_s / 2.0)
        learn = blocks == 0
        grow = cv2.resize(blocks.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
        cv2.accumulateWeighted(y.astype(np.float32), self.bg, slow, mask=1 - grow)
        self.bg_energy[learn] += slow * (energy[learn] - self.bg_energy[learn])
        if warming:
            return np.zeros((h, w), np.uint8), 0.0
        steady = (self.smoke_blocks >= 0.6).astype(np.uint8)
        if not steady.any():
            return np.zeros((h, w), np.uint8), 0.0
        # Smoke is a veil, not a speck: keep connected groups of blocks only.
        n, labels, stats, _ = cv2.connectedComponentsWithStats(steady, connectivity=8)
        small = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] < cfg.smoke_min_blocks]
        if small:
            steady[np.isin(labels, small)] = 0
        share = float(steady.mean())
        if share > 0.3:  # the whole picture went soft: defocus or fog, not smoke (tamper)
            return np.zeros((h, w), np.uint8), 0.0
        return cv2.resize(steady, (w, h), interpolation=cv2.INTER_NEAREST), share

    # -- decision ----------------------------------------------------------------
    def _decide(self, found, shape, t: float) -> list[tuple[str, str | None, float]]:
        events = []
        h, w = shape
        zones = self.zones or {None: None}
        for kind, (mask, share) in found.items():
            min_px = self.cfg.min_area * h * w
            for zone, polygon in zones.items():
                m = mask if polygon is None else mask & (polygon_mask([polygon], w, h) > 0)
                size = int(np.count_nonzero(m))
                key = (kind, zone)
                st = self.state.setdefault(key, FireState())
                if size >= min_px:
                    if st.since is None or t - st.last_seen > self.cfg.gap_s:
                        st.since, st.peak = t, 0.0
                    st.last_seen = t
                    st.peak = max(st.peak, size)
                    lasted = t - st.since
                    holding = size >= 0.3 * st.peak  # persists, does not shrink away
                    if lasted >= self.cfg.persist_s and holding and key not in self.reported:
                        last = self.last_event.get(key)
                        if last is None or t - last >= self.cfg.cooldown_s:
                            self.reported.add(key)
                            self.last_event[key] = t
                            score = min(1.0, 0.5 + share + size / (h * w))
                            events.append((kind, zone, score))
                elif t - st.last_seen > self.cfg.clear_after_s:
                    st.since = None
                    self.reported.discard(key)  # the fire went out: the next one is new
        return events


def dt_ratio(cfg: FireConfig) -> float:
    """Background time constant relative to the flame memory."""
    return cfg.memory_s / cfg.background_s
