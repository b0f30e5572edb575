"""Opening hours and closures: when a site is open.

The one copy of this grammar in the tree. Standard library only, because it
runs where vigie is not installed: the recorder role ships this file next to
vigie-record (the host's python3); the detector image's build takes it as
``vigie_detector/schedule.py`` only with the sha256 recorded in
detector_image/vigie_schedule.sha256 (record it again after an edit); the model
and the detector package import it through symlinks (``vigie.schedule``,
``vigie_detector.schedule``), so `vigie validate` refuses exactly what the
recorder and the detector would.

Opening hours, a small subset of OpenStreetMap's ``opening_hours``:
``"Mo-Fr 07:30-18:00; Sa 08:00-12:00"``, ``"Mo,We 08:00-12:00,13:30-17:00"``,
``"24/7"``. ``None`` means the site never opens; an empty string is an error,
not "never open": a blank value is more often a mistake than a decision.

Closures, the one encoding every consumer takes: ``[{"from": "YYYY-MM-DD",
"to": "YYYY-MM-DD"}]`` (dates accepted too), both ends included; the site is
closed all day on them (public and school holidays).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# What `recording.mode` may say; detection's `active` takes the same two words.
MODES = ("always", "outside_opening_hours")
DEFAULT_TIMEZONE = "Europe/Paris"
# ASCII digits only: `\d` would take other scripts' digits, which int() reads.
_RULE = re.compile(r"(?P<days>[A-Za-z,\- ]+?)\s+(?P<spans>[0-9:,\- ]+)", re.ASCII)
_SPAN = re.compile(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})", re.ASCII)

Week = dict[int, list[tuple[int, int]]]


class ScheduleError(ValueError):
    """Opening hours or closures that cannot be read (the only error raised here)."""


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m):
        raise ScheduleError(f"bad time {hours}:{minutes}")
    return h * 60 + m


def _days(text: str) -> set[int]:
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ScheduleError(f"unknown day {part!r}; use {', '.join(DAYS)}")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return out


def parse_opening_hours(text: str) -> Week:
    """weekday (0 = Monday) -> list of (start, end) minutes since midnight."""
    text = text.strip()
    if text == "24/7":
        return {d: [(0, 24 * 60)] for d in range(7)}
    rules = [r.strip() for r in text.split(";") if r.strip()]
    if not rules:
        raise ScheduleError("empty opening hours (omit the key when the site never opens)")
    week: Week = {}
    for rule in rules:
        match = _RULE.fullmatch(rule)
        if not match:
            raise ScheduleError(
                f"cannot read opening hours rule {rule!r} (e.g. 'Mo-Fr 07:30-18:00')"
            )
        spans = []
        for span in match["spans"].replace(" ", "").split(","):
            m = _SPAN.fullmatch(span)
            if not m:
                raise ScheduleError(f"cannot read time span {span!r} (e.g. 07:30-18:00)")
            start, end = _minutes(m[1], m[2]), _minutes(m[3], m[4])
            if end <= start:
                raise ScheduleError(f"time span {span!r} ends before it starts")
            spans.append((start, end))
        for day in _days(match["days"]):
            week.setdefault(day, []).extend(spans)
    return week


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ScheduleError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def closure_days(closures: Iterable[Mapping]) -> frozenset[dt.date]:
    """Every day of every closure ``{from, to}``, both ends included."""
    days: set[dt.date] = set()
    for closure in closures:
        if "from" not in closure or "to" not in closure:
            raise ScheduleError(f"closure {closure!r}: give both `from` and `to`")
        first, last = _date(closure["from"]), _date(closure["to"])
        if last < first:
            raise ScheduleError(f"closure {closure!r} ends before it starts")
        days.update(first + dt.timedelta(n) for n in range((last - first).days + 1))
    return frozenset(days)


@dataclass(frozen=True)
class Schedule:
    week: Week | None  # None: never open
    tz: ZoneInfo
    closed_days: frozenset[dt.date]

    @classmethod
    def build(
        cls, opening_hours: str | None, timezone: str, closures: Iterable[Mapping] = ()
    ) -> Schedule:
        week = None if opening_hours is None else parse_opening_hours(opening_hours)
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"unknown time zone {timezone!r}") from None
        return cls(week, tz, closure_days(closures))

    def is_open(self, when: dt.datetime) -> bool:
        """Open at `when` (an aware datetime), in the site's own time zone."""
        if self.week is None:
            return False
        local = when.astimezone(self.tz)
        if local.date() in self.closed_days:
            return False
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in self.week.get(local.weekday(), []))


def recording_gate(recording: Mapping | None) -> Callable[[dt.datetime], bool]:
    """A function now -> bool telling whether the camera may record at `now`."""
    recording = recording or {"mode": "always"}
    mode = recording.get("mode", "always")
    if mode not in MODES:
        raise ScheduleError(f"recording mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "always":
        return lambda _when: True
    schedule = Schedule.build(
        recording.get("opening_hours"),
        recording.get("timezone") or DEFAULT_TIMEZONE,
        recording.get("closures") or [],
    )
    return lambda when: not schedule.is_open(when)
