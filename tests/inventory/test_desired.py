"""The desired state's answers that no other test reads directly."""

from __future__ import annotations

import pytest

from tests.inventory.inventories import PILOT
from vigie.desired import DesiredState
from vigie.loader import load_inventory


@pytest.fixture(scope="module")
def state() -> DesiredState:
    return DesiredState.build(load_inventory(PILOT))


def test_remote_recording_opens_both_gateways_and_the_recorder(state):
    """The datacenter records the communes' sites: its recorder gets their cameras and
    prefixes, their gateway lets it in, its own gateway lets it out."""
    remote = [s for s in state.inventory.sites.values() if s.recorded_at == "dc-guyancourt"]
    assert {s.insee for s in remote} >= {"78380", "78586"}  # Maule, Sartrouville
    recorders = [h.vars for h in state.hosts.values() if h.name.startswith("dc-guyancourt-rec")]
    dc_recorders = str(state.network.sites["dc-guyancourt"].prefixes["recorders"])
    for site in remote:
        cameras = str(state.network.sites[site.id].prefixes["cameras"])
        [rec] = [r for r in recorders if cameras in r["recorder__camera_prefixes"]]
        assert {c["id"] for c in rec["recorder__cameras"]} >= {c.host_name for c in site.cameras}
        assert any(
            r["saddr"] == dc_recorders and r["daddr"] == cameras and r["port"] == 554
            for r in state.firewall[f"{site.id}-gw"]
        ), site.id
        assert any(
            r["daddr"] == cameras and r["port"] == 554 for r in state.firewall["dc-guyancourt-gw"]
        ), site.id
        # The recorder's streams leave through the gateway on its recorders VLAN.
        via = rec["network__vlans"][0]["gateway"]
        assert {"to": cameras, "via": via, "vlan": "recorders"} in rec["network__routes"]


def test_the_access_policy_comes_from_the_same_model(state):
    files = state.access_policy_files()
    assert {"vigie.cedar", "entities.json"} <= set(files)
    assert all(f"{site}" in files["entities.json"] for site in state.inventory.sites)
