"""The recorder's schedule helper: same grammar as the detector's, closures, gate."""

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "roles" / "recorder" / "files"))
import vigie_schedule as rec  # noqa: E402


def _detector():
    path = ROOT / "detector_image" / "src" / "vigie_detector" / "schedule.py"
    spec = importlib.util.spec_from_file_location("detector_schedule", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["detector_schedule"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


PARIS = "Europe/Paris"
# Friday 2027-01-15; 08:00 UTC is 09:00 in Paris (winter).
FRIDAY_9H = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)

GRAMMAR = [
    "Mo-Fr 07:30-18:00; Sa 08:00-12:00",
    "Mo,We 08:00-12:00,13:30-17:00",
    "24/7",
    "Sa-Mo 10:00-11:00",
    "Mo-Fr 08:00-24:00",
]
BAD = ["Mo-Fr", "Xx 08:00-09:00", "Mo 09:00-08:00", "Mo 25:00-26:00", "Mo 8h-9h"]


@pytest.mark.parametrize("text", GRAMMAR)
def test_same_answers_as_the_detector(text):
    detector = _detector()
    assert rec.parse_opening_hours(text) == detector.parse_opening_hours(text)
    a = rec.Schedule.build(text, PARIS, [])
    b = detector.Schedule.build(text, PARIS, [])
    for hour in range(0, 24 * 7, 1):
        when = FRIDAY_9H + dt.timedelta(hours=hour, minutes=17)
        assert a.is_open(when) == b.is_open(when), (text, when)


@pytest.mark.parametrize("text", BAD)
def test_same_errors_as_the_detector(text):
    detector = _detector()
    with pytest.raises(ValueError):
        rec.parse_opening_hours(text)
    with pytest.raises(ValueError):
        detector.parse_opening_hours(text)


def test_always_records_at_any_time():
    gate = rec.recording_gate({"mode": "always", "opening_hours": "24/7"})
    assert gate(FRIDAY_9H)
    assert rec.recording_gate(None)(FRIDAY_9H)


def test_outside_opening_hours_pauses_while_open():
    recording = {"mode": "outside_opening_hours", "opening_hours": "Mo-Fr 07:30-18:30"}
    recording["timezone"] = PARIS
    gate = rec.recording_gate(recording)
    assert not gate(FRIDAY_9H)  # 09:00 in Paris, open
    assert gate(FRIDAY_9H + dt.timedelta(hours=10))  # 19:00, closed
    assert gate(FRIDAY_9H - dt.timedelta(hours=2))  # 07:00, not yet open
    assert gate(FRIDAY_9H + dt.timedelta(days=1))  # Saturday


def test_the_site_timezone_decides():
    recording = {"mode": "outside_opening_hours", "opening_hours": "Mo-Fr 08:30-17:00"}
    # 08:00 UTC is 09:00 in Paris (open) but 08:00 in London (closed).
    assert not rec.recording_gate({**recording, "timezone": PARIS})(FRIDAY_9H)
    assert rec.recording_gate({**recording, "timezone": "Europe/London"})(FRIDAY_9H)


def test_a_closure_day_records_all_day():
    recording = {
        "mode": "outside_opening_hours",
        "opening_hours": "Mo-Fr 07:30-18:30",
        "timezone": PARIS,
        "closures": [{"from": "2027-01-14", "to": "2027-01-15"}],
    }
    gate = rec.recording_gate(recording)
    assert gate(FRIDAY_9H) and gate(FRIDAY_9H - dt.timedelta(days=1))
    assert not gate(FRIDAY_9H + dt.timedelta(days=3))  # Monday after: open again


def test_no_opening_hours_means_never_open():
    gate = rec.recording_gate({"mode": "outside_opening_hours", "opening_hours": None})
    assert gate(FRIDAY_9H)


def test_bad_mode_and_bad_closure_are_refused():
    with pytest.raises(ValueError):
        rec.recording_gate({"mode": "sometimes"})
    with pytest.raises(ValueError):
        rec.closure_days([{"from": "2027-01-15", "to": "2027-01-14"}])
