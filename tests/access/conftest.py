"""Fixtures of the access tests: the pilot, its policy, a generated département."""

from __future__ import annotations

import pytest

from tests.access.pilot import PILOT, TODAY
from vigie.access_policy.policy import AccessPolicy
from vigie.loader import load_inventory
from vigie.model import AlarmSource, Transmission


@pytest.fixture(scope="session")
def pilot():
    """The pilot, with two alarm sources added in memory (the pilot's sites declare none)."""
    inv = load_inventory(PILOT, today=TODAY)
    inv.sites["hdd-versailles"].alarm_sources.append(
        AlarmSource(id="alarm-01", kind="intrusion_panel", identity="hdd-versailles/alarm-01")
    )
    mantes = inv.sites["sdis-cs-mantes"]
    mantes.alarm_sources.append(
        AlarmSource(id="fire-01", kind="fire_alarm", identity="sdis-cs-mantes/fire-01")
    )
    # The SDIS is given a decision at the Hôtel du Département, whose archives room has a
    # fire detector and a risk purpose.
    inv.sites["hdd-versailles"].transmissions.append(
        Transmission(agency="sdis78", decision="AP-78-2023-0412")
    )
    return inv


@pytest.fixture(scope="session")
def policy(pilot):
    return AccessPolicy.from_inventory(pilot)


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """A generated 4,000-camera département, enriched for access decisions."""
    from vigie.access_policy.synthetic import enrich
    from vigie.generate import generate

    out = tmp_path_factory.mktemp("gen") / "dept"
    generate(out, cameras=4000, seed=1)
    inv = enrich(load_inventory(out, today=TODAY))
    return inv, AccessPolicy.from_inventory(inv)
