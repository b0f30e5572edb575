"""Glass-to-glass latency of a live <video>, read from the picture.

The camera simulators burn the wall-clock time into every frame
(lab/camera_sim/clockcode.py); lab/camera_sim/clockcode.js, run in the page,
records when each frame was first shown and which time it carries. Latency of a
frame = the time it was shown - the time it carries (same machine, same clock).
Used by the lab's live-view test and benchmarks/live/bench_glass.py.

    glass.start(driver, "#player")      # before (or right after) the click
    ... click ...
    time.sleep(60)
    result = glass.collect(driver, since_ms=click_ms)
    result.p95_ms, result.startup_s, result.last_shown_ms
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from lab.camera_sim import clockcode

SAMPLER_JS = (Path(__file__).resolve().parent / "camera_sim/clockcode.js").read_text()


# A frame older than this is a recording's, not the live view's.
RECORDED_MS = 10_000


def wall_ms() -> float:
    """The clock the camera draws with and the page reads (epoch milliseconds)."""
    return time.time() * 1000


def start(driver, selector: str = "video", interval_ms: int = 100) -> None:
    """Install the sampler in the page; it waits for `selector` to appear."""
    driver.execute_script(SAMPLER_JS, selector, interval_ms)


@dataclass
class Glass:
    """The frames seen, as (shown at, latency) in milliseconds, oldest first."""

    frames: list[tuple[float, float]]
    reads: int
    misreads: int
    since_ms: float | None = None  # the click or page load start-up is counted from

    def _need(self) -> None:
        if not self.frames:
            raise AssertionError(
                f"no clock code read from the video ({self.reads} reads, {self.misreads} "
                "misreads): not playing, or not a clock-code camera"
            )

    def quantile(self, q: float) -> float:
        self._need()
        ordered = sorted(lat for _t, lat in self.frames)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    @property
    def p50_ms(self) -> float:
        return self.quantile(0.50)

    @property
    def p95_ms(self) -> float:
        return self.quantile(0.95)

    @property
    def max_ms(self) -> float:
        return self.quantile(1.0)

    @property
    def startup_s(self) -> float:
        """From `since_ms` to the first frame shown."""
        self._need()
        if self.since_ms is None:
            raise ValueError("start-up needs since_ms")
        return (self.frames[0][0] - self.since_ms) / 1000

    @property
    def last_shown_ms(self) -> float:
        self._need()
        return self.frames[-1][0]

    @property
    def span_s(self) -> float:
        self._need()
        return (self.frames[-1][0] - self.frames[0][0]) / 1000

    def median_between(self, start_s: float, end_s: float) -> float:
        """Median latency of the frames shown between start_s and end_s after the first."""
        self._need()
        t0 = self.frames[0][0]
        window = [lat for t, lat in self.frames if start_s * 1000 <= t - t0 < end_s * 1000]
        if not window:
            raise AssertionError(f"no frame shown between {start_s} s and {end_s} s")
        return statistics.median(window)

    def until(self, end_ms: float) -> Glass:
        """Only the frames shown before end_ms (e.g. the grant's end)."""
        kept = [f for f in self.frames if f[0] < end_ms]
        return Glass(kept, self.reads, self.misreads, self.since_ms)

    def summary(self) -> str:
        up = f", start-up {self.startup_s:.2f} s" if self.since_ms is not None else ""
        return (
            f"{len(self.frames)} frames over {self.span_s:.0f} s: latency p50 "
            f"{self.p50_ms / 1000:.2f} s, p95 {self.p95_ms / 1000:.2f} s, max "
            f"{self.max_ms / 1000:.2f} s{up} ({self.misreads}/{self.reads} reads rejected)"
        )


def collect(driver, since_ms: float | None = None) -> Glass:
    """What the sampler has seen so far (it keeps running); with since_ms, only
    frames shown from then on (not the clip the page played before the click)."""
    state = driver.execute_script(
        "const s = window.__clockcode;"
        "return s ? {samples: s.samples, reads: s.reads, misreads: s.misreads} : null;"
    )
    if state is None:
        raise AssertionError("the clock-code sampler is not installed in this page")
    frames = sorted(
        (shown, float(clockcode.latency_ms(int(code), round(shown))))
        for shown, code in state["samples"]
        if since_ms is None or shown >= since_ms
    )
    # A recording's frame still on screen at the click (the clip the page played
    # before) is not the live view's first frame: it starts at the first live one.
    first_live = next((i for i, (_t, lat) in enumerate(frames) if lat <= RECORDED_MS), 0)
    return Glass(frames[first_live:], state["reads"], state["misreads"], since_ms)


def measure(driver, seconds: float, since_ms: float | None = None, selector="video") -> Glass:
    """Install the sampler if needed, let it run `seconds`, collect."""
    if not driver.execute_script("return !!window.__clockcode;"):
        start(driver, selector)
    time.sleep(seconds)
    return collect(driver, since_ms)
