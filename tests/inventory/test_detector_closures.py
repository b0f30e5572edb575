"""A detector camera is closed on its own site's closure days, whatever else its
container analyses: a container covering several collèges used to know only the
days all of them were closed (inventories/production: col-debussy-st-germain)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from vigie_detector.analyzer import CameraAnalyzer
from vigie_detector.config import CameraConfig, DetectorConfig

from tests.inventory.inventories import PILOT, REPO
from vigie.desired import DesiredState
from vigie.loader import load_inventory
from vigie.schedule import closure_days

PRODUCTION = REPO / "inventories" / "production"
SITE = "col-debussy-st-germain"
PARIS = ZoneInfo("Europe/Paris")


def days(closures) -> set[dt.date]:
    """The model's closures (first..last), day by day."""
    out = set()
    for c in closures:
        out.update(c.first + dt.timedelta(n) for n in range((c.last - c.first).days + 1))
    return out


def as_deployed(spec: dict) -> DetectorConfig:
    """What the container reads: the deployment keeps the keys the detector's schema
    knows (pulumi/vigie_stack/detector_config.py), credentials aside."""
    cameras = [
        {k: v for k, v in c.items() if k in CameraConfig.model_fields} for c in spec["cameras"]
    ]
    doc = {"timezone": spec["timezone"], "holidays": spec["holidays"], "cameras": cameras}
    return DetectorConfig.model_validate(doc)


@pytest.fixture(scope="module")
def production():
    inv = load_inventory(PRODUCTION)
    return inv, DesiredState.build(inv)


def test_the_debussy_container_covers_other_sites(production):
    """The case of the bug: the container is shared, and the sites' closures differ."""
    inv, state = production
    [spec] = [s for s in state.detectors.values() if any(c["site"] == SITE for c in s["cameras"])]
    others = {c["site"] for c in spec["cameras"]} - {SITE}
    assert others
    assert any(days(inv.sites[o].closures) != days(inv.sites[SITE].closures) for o in others)


def test_each_camera_is_closed_on_every_closure_day_of_its_own_site(production):
    inv, state = production
    missed = {}
    for spec in state.detectors.values():
        config = as_deployed(spec)
        for cam in config.cameras:
            if cam.detection is None or cam.detection.active != "outside_opening_hours":
                continue
            analyzer = CameraAnalyzer(cam, config)
            site = inv.sites[cam.site]
            closed = days([*inv.departement.closures, *site.closures])
            # 10:00 is inside every site's opening hours on a weekday.
            late = [
                d
                for d in sorted(closed)
                if not analyzer.closed(dt.datetime.combine(d, dt.time(10), PARIS))
            ]
            if late:
                missed[f"{cam.site}/{cam.id}"] = len(late)
    assert not missed, f"cameras open on their site's closure days: {missed}"


def test_a_closure_of_another_site_does_not_close_a_camera(production):
    """Per camera, not the union either: col-marcel-roby-st-germain, in the same
    container, stays open on the weekdays only col-debussy-st-germain is closed."""
    inv, state = production
    [spec] = [s for s in state.detectors.values() if any(c["site"] == SITE for c in s["cameras"])]
    config = as_deployed(spec)
    checked = 0
    for cam in config.cameras:
        if cam.site == SITE or cam.detection is None:
            continue
        own = days([*inv.departement.closures, *inv.sites[cam.site].closures])
        only_debussy = days(inv.sites[SITE].closures) - own
        analyzer = CameraAnalyzer(cam, config)
        for d in sorted(d for d in only_debussy if d.weekday() < 5):
            assert not analyzer.closed(dt.datetime.combine(d, dt.time(10), PARIS)), (cam.id, d)
            checked += 1
    assert checked > 0


def test_every_key_the_model_gives_a_detector_camera_is_read_by_the_detector():
    """A key the detector's schema does not know is dropped on deployment without a
    word: that is how the cameras' closures were lost. Only the credential's name
    is replaced (by the stream's credentials)."""
    state = DesiredState.build(load_inventory(PILOT))
    keys = {k for spec in state.detectors.values() for c in spec["cameras"] for k in c}
    assert keys - set(CameraConfig.model_fields) == {"credential"}


def test_pilot_detectors_know_school_holidays_and_public_holidays():
    state = DesiredState.build(load_inventory(PILOT))
    college = next(d for d in state.detectors.values() if d["host"] == "col-houdan-det1")
    building = next(d for d in state.detectors.values() if d["host"] == "hdd-versailles-det1")
    christmas, toussaint = dt.date(2026, 12, 25), dt.date(2026, 10, 20)
    for spec in (college, building):
        for cam in as_deployed(spec).cameras:
            assert christmas in closure_days(cam.closures), cam.id
    assert all(toussaint in closure_days(c.closures) for c in as_deployed(college).cameras)
    assert all(toussaint not in closure_days(c.closures) for c in as_deployed(building).cameras)
