"""When a camera may record: `recording.mode` against the site's opening hours.

The opening-hours grammar is a COPY of detector_image/src/vigie_detector/schedule.py
(a small subset of OpenStreetMap's ``opening_hours``: ``"Mo-Fr 07:30-18:00; Sa
08:00-12:00"``, ``"Mo,We 08:00-12:00,13:30-17:00"``, ``"24/7"``). Copied, not
shared, because the recorder runs the host's system python3 with the standard
library only (no vigie package there) and the detector's module lives inside its
container image; roles/recorder/tests/test_schedule.py checks that both parsers
give the same answers, so the copies cannot drift silently.

Closures (``[{from: "YYYY-MM-DD", to: "YYYY-MM-DD"}]``, holidays included) are
days the site is closed: a camera recorded ``outside_opening_hours`` records all
day on them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
_RULE = re.compile(r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<spans>[0-9:,\- ]+)$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
MODES = ("always", "outside_opening_hours")


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m):
        raise ValueError(f"bad time {hours}:{minutes}")
    return h * 60 + m


def _days(text: str) -> set[int]:
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day {part!r}; use {', '.join(DAYS)}")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return out


def parse_opening_hours(text: str) -> dict[int, list[tuple[int, int]]]:
    """weekday (0 = Monday) -> list of (start, end) minutes since midnight."""
    text = text.strip()
    if text == "24/7":
        return {d: [(0, 24 * 60)] for d in range(7)}
    week: dict[int, list[tuple[int, int]]] = {}
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        match = _RULE.match(rule)
        if not match:
            raise ValueError(f"cannot read opening hours rule {rule!r} (e.g. 'Mo-Fr 07:30-18:00')")
        spans = []
        for span in match["spans"].replace(" ", "").split(","):
            m = _SPAN.match(span)
            if not m:
                raise ValueError(f"cannot read time span {span!r} (e.g. 07:30-18:00)")
            start, end = _minutes(m[1], m[2]), _minutes(m[3], m[4])
            if end <= start:
                raise ValueError(f"time span {span!r} ends before it starts")
            spans.append((start, end))
        for day in _days(match["days"]):
            week.setdefault(day, []).extend(spans)
    return week


def closure_days(closures: list[dict]) -> frozenset[dt.date]:
    """Every day of every closure, both ends included."""
    days = set()
    for closure in closures:
        first = dt.date.fromisoformat(closure["from"])
        last = dt.date.fromisoformat(closure["to"])
        if last < first:
            raise ValueError(f"closure {closure} ends before it starts")
        days.update(first + dt.timedelta(n) for n in range((last - first).days + 1))
    return frozenset(days)


@dataclass(frozen=True)
class Schedule:
    week: dict[int, list[tuple[int, int]]] | None
    tz: ZoneInfo
    holidays: frozenset[dt.date]

    @classmethod
    def build(cls, opening_hours: str | None, timezone: str, closures: list[dict]) -> Schedule:
        week = parse_opening_hours(opening_hours) if opening_hours else None
        return cls(week, ZoneInfo(timezone), closure_days(closures))

    def is_open(self, when: dt.datetime) -> bool:
        if self.week is None:
            return False
        local = when.astimezone(self.tz)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in self.week.get(local.weekday(), []))


def recording_gate(recording: dict | None):
    """A function now -> bool telling whether the camera may record at `now`."""
    recording = recording or {"mode": "always"}
    mode = recording.get("mode", "always")
    if mode not in MODES:
        raise ValueError(f"recording mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "always":
        return lambda _when: True
    schedule = Schedule.build(
        recording.get("opening_hours"),
        recording.get("timezone") or "Europe/Paris",
        recording.get("closures") or [],
    )
    return lambda when: not schedule.is_open(when)
