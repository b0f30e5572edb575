"""When intrusion detection runs: outside the opening hours of each camera's own site.

The grammar itself is tested once, with its file (roles/recorder/tests/
test_schedule.py); here, what the detector decides from its configuration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT
from vigie_detector import schedule
from vigie_detector.analyzer import CameraAnalyzer
from vigie_detector.config import DetectorConfig
from vigie_detector.configfile import ConfigError, load_config

ROLE_FILE = ROOT / "roles" / "recorder" / "files" / "vigie_schedule.py"
PARIS = dt.timezone(dt.timedelta(hours=1))  # November: CET
# 2026-11-25 is a Wednesday: site A (a collège) is closed, site B is open.
WEDNESDAY_10H = dt.datetime(2026, 11, 25, 10, tzinfo=PARIS)
HOURS = "Mo-Fr 07:45-18:00"


def camera(cam_id: str, site: str, **extra) -> dict:
    return {
        "id": cam_id,
        "site": site,
        "url": f"rtsp://127.0.0.1/{cam_id}",
        "opening_hours": HOURS,
        "detection": {"classes": ["intrusion"], "active": "outside_opening_hours"},
        **extra,
    }


def two_sites(**config) -> DetectorConfig:
    a = camera("hall", "site-a", closures=[{"from": "2026-11-23", "to": "2026-11-27"}])
    return DetectorConfig.model_validate({"cameras": [a, camera("hall", "site-b")], **config})


def test_a_camera_is_closed_on_its_own_sites_closure_day_only():
    """One container, two sites: on a day A is closed and B is open, A's camera
    detects (closed) and B's does not (open)."""
    config = two_sites()
    a, b = (CameraAnalyzer(cam, config) for cam in config.cameras)
    assert a.closed(WEDNESDAY_10H)
    assert not b.closed(WEDNESDAY_10H)
    # The week after, both sites are open at 10:00 and closed at 19:00.
    next_week = WEDNESDAY_10H + dt.timedelta(days=7)
    assert not a.closed(next_week) and not b.closed(next_week)
    assert a.closed(next_week.replace(hour=19)) and b.closed(next_week.replace(hour=19))


def test_the_containers_holidays_close_every_camera():
    config = two_sites(holidays=["2026-12-02"])
    for cam in config.cameras:
        assert CameraAnalyzer(cam, config).closed(WEDNESDAY_10H + dt.timedelta(days=7))


def test_active_always_ignores_opening_hours_and_closures():
    cam = camera("hall", "site-b", detection={"classes": ["intrusion"], "active": "always"})
    config = DetectorConfig.model_validate({"cameras": [cam]})
    assert CameraAnalyzer(config.cameras[0], config).closed(WEDNESDAY_10H)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "det.yml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("closures", "[{from: 2026-11-27, to: 2026-11-23}]"),
        ("closures", "[{from: 2026-11-27}]"),
        ("closures", "[{from: 2026-11-27, until: 2026-11-28}]"),
        ("opening_hours", '""'),
    ],
)
def test_unreadable_closures_and_empty_opening_hours_are_refused(tmp_path, field, value):
    path = write(
        tmp_path,
        f"""\
        cameras:
          - {{id: cam1, site: site-a, url: rtsp://x/y, {field}: {value}}}
        """,
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f":2: DETECTOR-CONFIG: cameras.0.{field}" in err.value.lines[0]


def test_the_schedule_is_the_recorder_roles_file():
    """In the tree, vigie_detector/schedule.py is that file (a symlink); the image
    holds a copy (tests/image/test_vendored_schedule.py)."""
    assert Path(schedule.__file__).resolve() == ROLE_FILE


def test_the_image_build_expects_the_role_files_sha256():
    """The Dockerfile takes the staged copy only with this recorded sha256."""
    recorded = (ROOT / "detector_image" / "vigie_schedule.sha256").read_text().split()
    digest = hashlib.sha256(ROLE_FILE.read_bytes()).hexdigest()
    assert recorded == [digest, "vigie_schedule.py"], (
        "the role's vigie_schedule.py changed: record it with "
        "`(cd roles/recorder/files && sha256sum vigie_schedule.py) > "
        "detector_image/vigie_schedule.sha256`"
    )
