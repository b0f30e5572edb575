"""Opening hours and closures, as the model reads them.

Grammar: the subset the detector reads (detector_image/src/vigie_detector/
schedule.py, docs/inventory.md): ``"Mo-Fr 07:30-18:00; Sa 08:00-12:00"``,
``"Mo,We 08:00-12:00,13:30-17:00"``, ``"24/7"``. Parsed at `vigie validate` so
that a typo is a `path:line` error, not a failure at deploy time; the
detector's test suite checks that both parsers agree.
"""

from __future__ import annotations

import datetime as dt
import re

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_RULE = re.compile(r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<spans>[0-9:,\- ]+)$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Week = dict[int, list[tuple[int, int]]]


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


def parse_opening_hours(text: str) -> Week:
    """weekday (0 = Monday) -> (start, end) minutes since midnight; ValueError on a typo."""
    text = text.strip()
    if text == "24/7":
        return {d: [(0, 24 * 60)] for d in range(7)}
    week: Week = {}
    rules = [r.strip() for r in text.split(";") if r.strip()]
    if not rules:
        raise ValueError("empty opening hours (omit the key when the site never opens)")
    for rule in rules:
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


def closure_days(closures: list) -> list[str]:
    """ISO dates of every day of the closures (model `Closure`: first..last)."""
    days: set[dt.date] = set()
    for c in closures:
        day = c.first
        while day <= c.last:
            days.add(day)
            day += dt.timedelta(days=1)
    return [d.isoformat() for d in sorted(days)]
