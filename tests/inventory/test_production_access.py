"""The production inventory's access matrix: who receives what on an event.

Computed from the inventory (no hard-coded camera lists): the SDIS receives the
fire class wherever a fire is detected or a fire alarm rings on a camera of the
département's sites and of the fire stations; each police municipale receives
its commune's intrusions; no camera is reachable by a judicial requisition only
(`LEGAL-CAMERA-UNSEEN`).
"""

from __future__ import annotations

import pytest

from tests.inventory.inventories import REPO
from vigie.access_policy.competence import (
    alarm_sources,
    decide,
    detection_classes,
    owner_kind,
    territory,
)
from vigie.access_policy.events import Event, Request
from vigie.loader import check_inventory
from vigie.model import Inventory

PRODUCTION = REPO / "inventories" / "production"


@pytest.fixture(scope="module")
def production() -> tuple[Inventory, list]:
    inv, diags = check_inventory(PRODUCTION)
    assert inv is not None
    assert [d.format() for d in diags if d.severity == "error"] == []
    return inv, diags


def allowed(inv: Inventory, agency: str, camera: str, event: Event) -> bool:
    req = Request(f"{agency}/agency", "view_clip", camera, event)
    return decide(inv, req, representative=True).allowed


def agencies_of_kind(inv: Inventory, kind: str) -> list[str]:
    found = [a.id for a in inv.agencies.values() if a.kind == kind]
    assert found, f"production has no {kind} agency"
    return found


def fire_events(inv: Inventory, owners: set[str]):
    """(camera, event) for every fire detector and fire alarm on sites of these owners."""
    for site in inv.sites.values():
        if owner_kind(site) not in owners:
            continue
        for cam in site.cameras:
            name = f"{site.id}/{cam.id}"
            if "fire" in detection_classes(cam):
                yield name, Event("detector", "fire")
            for src in alarm_sources(site, cam, "fire"):
                # The SDIS sees only cameras with a rescue/risk purpose (CSI L252-3).
                if {"rescue_fire", "natural_technological_risks"} & set(cam.purposes):
                    yield name, Event("alarm", "fire", src.identity)


@pytest.mark.parametrize("owner", ["departement", "sdis"])
def test_sdis_receives_fire_on_departement_sites_and_fire_stations(production, owner):
    inv, _ = production
    events = list(fire_events(inv, {owner}))
    assert events, f"no fire detector nor fire alarm on {owner} sites"
    for sdis in agencies_of_kind(inv, "sdis"):
        refused = [f"{cam} {ev.name}" for cam, ev in events if not allowed(inv, sdis, cam, ev)]
        assert refused == [], f"{sdis} refused fire events: {refused}"


def test_every_fire_detector_of_the_departement_reaches_the_sdis(production):
    inv, _ = production
    detected = [
        f"{site.id}/{cam.id}"
        for site in inv.sites.values()
        if owner_kind(site) in ("departement", "sdis")
        for cam in site.cameras
        if "fire" in detection_classes(cam)
    ]
    assert detected
    sdis = agencies_of_kind(inv, "sdis")
    assert all(
        any(allowed(inv, s, cam, Event("detector", "fire")) for s in sdis) for cam in detected
    )


def test_police_municipale_receives_its_communes_intrusions(production):
    inv, _ = production
    for pm in agencies_of_kind(inv, "police_municipale"):
        communes = territory(inv.agencies[pm])
        events = []
        for site in inv.sites.values():
            if site.kind != "commune_building" or site.insee not in communes:
                continue
            for cam in site.cameras:
                name = f"{site.id}/{cam.id}"
                if "intrusion" in detection_classes(cam):
                    events.append((name, Event("detector", "intrusion")))
                events += [
                    (name, Event("alarm", "intrusion", src.identity))
                    for src in alarm_sources(site, cam, "intrusion")
                ]
        assert events, f"no intrusion event on the cameras of {pm}'s communes"
        refused = [f"{cam} {ev.name}" for cam, ev in events if not allowed(inv, pm, cam, ev)]
        assert refused == [], f"{pm} refused its commune's intrusions: {refused}"


def test_police_municipale_sees_nothing_outside_its_territory(production):
    inv, _ = production
    for pm in agencies_of_kind(inv, "police_municipale"):
        communes = territory(inv.agencies[pm])
        for site in inv.sites.values():
            if site.insee in communes:
                continue
            for cam in site.cameras:
                for src in alarm_sources(site, cam, "intrusion"):
                    event = Event("alarm", "intrusion", src.identity)
                    assert not allowed(inv, pm, f"{site.id}/{cam.id}", event)


def test_no_production_camera_is_unseen(production):
    _, diags = production
    assert [d.format() for d in diags if d.rule == "LEGAL-CAMERA-UNSEEN"] == []
