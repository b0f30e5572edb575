"""The one opening-hours and closures module (files/vigie_schedule.py): its grammar,
its closures, the recorder's gate, and that the model and the detector run it."""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]
FILE = ROOT / "roles" / "recorder" / "files" / "vigie_schedule.py"


def _load():
    """The role's file itself, as vigie-record imports it (by its own name)."""
    spec = importlib.util.spec_from_file_location("vigie_schedule", FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["vigie_schedule"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


sched = _load()
PARIS = "Europe/Paris"
# Friday 2027-01-15; 08:00 UTC is 09:00 in Paris (winter).
FRIDAY_9H = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)
CET = dt.timezone(dt.timedelta(hours=1))


def monday_plus(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23 + day, hour, minute, tzinfo=CET)  # 2026-11-23: a Monday


# --- one file -------------------------------------------------------------------


def test_the_model_and_the_detector_run_this_very_file():
    import vigie_detector.schedule

    import vigie.schedule

    for module in (vigie.schedule, vigie_detector.schedule):
        assert Path(module.__file__).resolve() == FILE, module.__name__


def test_it_runs_on_the_standard_library_alone():
    """The recorder's host has no vigie and no site-packages: -I -S runs without them."""
    code = (
        f"import sys; sys.path.insert(0, {str(FILE.parent)!r}); import vigie_schedule as s; "
        "print(s.recording_gate({'mode': 'outside_opening_hours', "
        "'opening_hours': 'Mo-Fr 08:00-18:00', 'closures': [{'from': '2027-01-15', "
        "'to': '2027-01-15'}]})(__import__('datetime').datetime(2027, 1, 15, 9, "
        "tzinfo=__import__('datetime').UTC)))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


# --- grammar --------------------------------------------------------------------

GRAMMAR = {
    "Mo-Fr 07:30-18:00; Sa 08:00-12:00": {
        **{d: [(450, 1080)] for d in range(5)},
        5: [(480, 720)],
    },
    "Mo,We 08:00-12:00,13:30-17:00": {0: [(480, 720), (810, 1020)], 2: [(480, 720), (810, 1020)]},
    "24/7": {d: [(0, 1440)] for d in range(7)},
    "Sa-Mo 10:00-11:00": {5: [(600, 660)], 6: [(600, 660)], 0: [(600, 660)]},
    "Mo-Fr 08:00-24:00": {d: [(480, 1440)] for d in range(5)},
    " Mo 08:00-09:00 ;; Tu 08:00-09:00; ": {0: [(480, 540)], 1: [(480, 540)]},
}
BAD = [
    "Mo-Fr",
    "Xx 08:00-09:00",
    "Mo 09:00-08:00",
    "Mo 25:00-26:00",
    "Mo 8h-9h",
    "Monday 8-18",
    "Mo 08:00-09:00,",
    "Mo 08:60-09:00",
    "Mo 24:30-24:45",
    "Mo-Tu-We 08:00-09:00",
    "Mo ٠٨:00-09:00",  # Arabic-Indic digits: int() would read them
]


@pytest.mark.parametrize("text", sorted(GRAMMAR))
def test_the_grammar(text):
    assert sched.parse_opening_hours(text) == GRAMMAR[text]


@pytest.mark.parametrize("text", BAD)
def test_mistakes_are_refused_with_the_modules_error(text):
    with pytest.raises(sched.ScheduleError):
        sched.parse_opening_hours(text)


@pytest.mark.parametrize("text", ["", "   ", ";", " ; ; "])
def test_an_empty_string_is_a_mistake_not_never_open(text):
    """One behaviour everywhere: `vigie validate`, the recorder and the detector
    refuse it; a site that never opens omits the key (None)."""
    with pytest.raises(sched.ScheduleError, match="empty opening hours"):
        sched.parse_opening_hours(text)
    with pytest.raises(sched.ScheduleError):
        sched.Schedule.build(text, PARIS)


def test_the_error_is_a_value_error():
    """Callers (the model's rule, pydantic validators) catch ValueError."""
    assert issubclass(sched.ScheduleError, ValueError)


@given(st.text())
def test_parse_raises_nothing_but_the_modules_error_on_any_text(text):
    _parse_or_refuse(text)


# Texts from the grammar's own alphabet reach the deeper branches.
_ALPHABET = st.text(alphabet="MoTuWeThFrSaSu0123456789:-,; /7", max_size=40)


@given(_ALPHABET)
def test_parse_raises_nothing_else_on_grammar_like_text(text):
    _parse_or_refuse(text)


def _parse_or_refuse(text: str) -> None:
    try:
        week = sched.parse_opening_hours(text)
    except sched.ScheduleError:
        return
    assert week and set(week) <= set(range(7))
    assert all(0 <= a < b <= 1440 for spans in week.values() for a, b in spans)


# --- schedule and closures ------------------------------------------------------


def test_week_rules_and_a_closure_day():
    s = sched.Schedule.build(
        "Mo-Fr 07:30-18:00; Sa 08:00-12:00", PARIS, [{"from": "2026-11-25", "to": "2026-11-25"}]
    )
    assert s.is_open(monday_plus(0, 7, 30)) and not s.is_open(monday_plus(0, 7, 29))
    assert not s.is_open(monday_plus(0, 18, 0))
    assert s.is_open(monday_plus(5, 11)) and not s.is_open(monday_plus(5, 13))
    assert not s.is_open(monday_plus(6, 11))  # Sunday
    assert not s.is_open(monday_plus(2, 10))  # closed that Wednesday
    assert s.is_open(monday_plus(3, 10))  # open again on Thursday


def test_never_open_and_always_open():
    assert not sched.Schedule.build(None, PARIS).is_open(monday_plus(0, 10))
    assert sched.Schedule.build("24/7", PARIS).is_open(monday_plus(6, 3))


def test_the_timezone_is_applied():
    s = sched.Schedule.build("Mo-Fr 08:00-17:00", PARIS)
    assert s.is_open(dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC))  # 08:30 in Paris
    assert not s.is_open(dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC))  # 17:30


def test_closures_take_iso_strings_or_dates_both_ends_included():
    days = sched.closure_days(
        [
            {"from": "2027-01-14", "to": "2027-01-15"},
            {"from": dt.date(2027, 2, 1), "to": "2027-02-01"},
        ]
    )
    assert days == {dt.date(2027, 1, 14), dt.date(2027, 1, 15), dt.date(2027, 2, 1)}


@pytest.mark.parametrize(
    "closure",
    [
        {"from": "2027-01-15", "to": "2027-01-14"},
        {"from": "2027-01-15"},
        {"from": "15/01/2027", "to": "2027-01-16"},
        {"from": None, "to": "2027-01-16"},
    ],
)
def test_bad_closures_are_refused(closure):
    with pytest.raises(sched.ScheduleError):
        sched.closure_days([closure])


def test_an_unknown_time_zone_is_the_modules_error():
    with pytest.raises(sched.ScheduleError):
        sched.Schedule.build("24/7", "Europe/Nowhere")


# --- the recorder's gate --------------------------------------------------------


def test_always_records_at_any_time():
    gate = sched.recording_gate({"mode": "always", "opening_hours": "24/7"})
    assert gate(FRIDAY_9H)
    assert sched.recording_gate(None)(FRIDAY_9H)


def test_outside_opening_hours_pauses_while_open():
    recording = {"mode": "outside_opening_hours", "opening_hours": "Mo-Fr 07:30-18:30"}
    recording["timezone"] = PARIS
    gate = sched.recording_gate(recording)
    assert not gate(FRIDAY_9H)  # 09:00 in Paris, open
    assert gate(FRIDAY_9H + dt.timedelta(hours=10))  # 19:00, closed
    assert gate(FRIDAY_9H - dt.timedelta(hours=2))  # 07:00, not yet open
    assert gate(FRIDAY_9H + dt.timedelta(days=1))  # Saturday


def test_the_site_timezone_decides():
    recording = {"mode": "outside_opening_hours", "opening_hours": "Mo-Fr 08:30-17:00"}
    # 08:00 UTC is 09:00 in Paris (open) but 08:00 in London (closed).
    assert not sched.recording_gate({**recording, "timezone": PARIS})(FRIDAY_9H)
    assert sched.recording_gate({**recording, "timezone": "Europe/London"})(FRIDAY_9H)


def test_a_closure_day_records_all_day():
    recording = {
        "mode": "outside_opening_hours",
        "opening_hours": "Mo-Fr 07:30-18:30",
        "timezone": PARIS,
        "closures": [{"from": "2027-01-14", "to": "2027-01-15"}],
    }
    gate = sched.recording_gate(recording)
    assert gate(FRIDAY_9H) and gate(FRIDAY_9H - dt.timedelta(days=1))
    assert not gate(FRIDAY_9H + dt.timedelta(days=3))  # Monday after: open again


def test_no_opening_hours_means_never_open():
    gate = sched.recording_gate({"mode": "outside_opening_hours", "opening_hours": None})
    assert gate(FRIDAY_9H)


def test_a_bad_mode_is_refused():
    with pytest.raises(sched.ScheduleError):
        sched.recording_gate({"mode": "sometimes"})
