"""Opening hours decide when intrusion detection runs."""

from __future__ import annotations

import datetime as dt

import pytest
from vigie_detector.schedule import Schedule, parse_opening_hours

PARIS = dt.timezone(dt.timedelta(hours=1))  # November: CET


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    # 2026-11-23 is a Monday
    return dt.datetime(2026, 11, 23 + day, hour, minute, tzinfo=PARIS)


def test_week_rules():
    s = Schedule.build("Mo-Fr 07:30-18:00; Sa 08:00-12:00", "Europe/Paris", ["2026-11-25"])
    assert s.is_open(at(0, 7, 30)) and not s.is_open(at(0, 7, 29))
    assert not s.is_open(at(0, 18, 0))
    assert s.is_open(at(5, 11)) and not s.is_open(at(5, 13))
    assert not s.is_open(at(6, 11))  # Sunday
    assert not s.is_open(at(2, 10))  # holiday


def test_never_open_and_always_open():
    assert not Schedule.build(None, "Europe/Paris", []).is_open(at(0, 10))
    assert Schedule.build("24/7", "Europe/Paris", []).is_open(at(6, 3))


def test_timezone_is_applied():
    s = Schedule.build("Mo-Fr 08:00-17:00", "Europe/Paris", [])
    assert s.is_open(dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC))  # 08:30 in Paris
    assert not s.is_open(dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC))  # 17:30


@pytest.mark.parametrize("bad", ["Mo-Fr 18:00-08:00", "Xx 08:00-12:00", "Mo 8h-12h"])
def test_bad_rules(bad):
    with pytest.raises(ValueError):
        parse_opening_hours(bad)
