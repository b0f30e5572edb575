"""The gateway's services, started once for the session (services.Gateway)."""

from __future__ import annotations

import pytest

from tests.gateway.services import Gateway, need


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    for b in ("mosquitto", "nginx", "ffmpeg", "ffprobe"):
        need(b)
    gw = Gateway(tmp_path_factory.mktemp("gateway"))
    gw.make_footage()
    try:
        gw.start()
        yield gw
    finally:
        gw.stop()


# -- the service's core in process: a real AccessCore on the pilot's hand-over, a list
# for a journal and for what it publishes (tests of decisions that need no nginx) --


class ListJournal:
    def __init__(self):
        self.entries: list[dict] = []

    def append(self, entry: dict) -> None:
        self.entries.append(entry)


@pytest.fixture(scope="module")
def pilot():
    from tests.gateway.gw_procs import ROOT
    from vigie.loader import load_inventory

    return load_inventory(ROOT / "inventories/pilot")


@pytest.fixture(scope="module")
def pilot_handover(pilot):
    """What the model hands the service for the pilot (vigie.desired.gateway)."""
    from vigie.desired import DesiredState
    from vigie.desired.gateway import GatewayHandOver

    return GatewayHandOver.model_validate(DesiredState.build(pilot).gateway)


@pytest.fixture
def core(pilot_handover, tmp_path):
    from vigie_access.adapters import ModelPolicy
    from vigie_access.core import AccessCore
    from vigie_access.store import Store

    notes: list[tuple[str, dict]] = []
    c = AccessCore(
        store=Store(tmp_path / "access.sqlite"),
        policy=ModelPolicy(pilot_handover),
        tokens=None,
        journal=ListJournal(),
        sources=dict(pilot_handover.cameras),
        publish=lambda topic, doc: notes.append((topic, doc)),
        segment_seconds=2,
        recorder_url=lambda _source: "",
    )
    c.notes = notes
    return c
