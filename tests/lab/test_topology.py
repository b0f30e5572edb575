"""The lab's layout comes from the desired state of its entry point, unchanged."""

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import topology
from vigie.desired import DesiredState
from vigie.loader import load_inventory
from vigie.options import read_options

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventories" / "lab"
A, B = "col-rameau-versailles", "hdd-versailles"


@pytest.fixture(scope="module")
def state() -> DesiredState:
    options = read_options(LAB)
    return DesiredState.build(load_inventory(options.data_dir), options)


def edited(state: DesiredState) -> DesiredState:
    """A copy whose hosts' and groups' variables a test may change."""
    return dataclasses.replace(
        state, hosts=copy.deepcopy(state.hosts), group_vars=copy.deepcopy(state.group_vars)
    )


def test_the_lab_runs_the_hosts_ansible_manages_at_their_addresses(state):
    """One answer: the containers are the hosts the plugin serves for the same entry point."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(LAB), "--list"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )
    hostvars = json.loads(out.stdout)["_meta"]["hostvars"]
    top = topology.load(LAB)
    assert top == topology.build(state)
    laid_out = {h.name: h.ansible_host for h in top.hosts}
    laid_out |= {c.name: c.address for c in top.central}
    laid_out |= {w.name: w.address for w in top.witnesses}
    assert laid_out == {name: hv["ansible_host"] for name, hv in hostvars.items()}


def test_one_segment_per_site_vlan_plus_shared_admin(state):
    top = topology.build(state)
    names = [s.name for s in top.segments]
    assert names == sorted(names)
    assert "vigie-lab-admin" in names
    for site in (A, B):
        for vlan in ("cameras", "recorders", "management", "agency"):
            assert f"vigie-lab-{site}-{vlan}" in names
    assert len(names) == 9


def test_controller_takes_the_address_the_plan_leaves_free(state):
    seg = topology.build(state).segment(f"vigie-lab-{A}-cameras")
    assert seg.prefix == "10.128.12.0/24"
    assert seg.controller_address == "10.128.12.254"


def test_hosts_keep_their_planned_addresses_and_segments(state):
    top = topology.build(state)
    rec = next(h for h in top.hosts if h.name == f"{A}-rec1")
    assert rec.kind == "recorder"
    assert rec.container == f"vigie-lab-{A}-rec1"
    assert rec.ansible_host == "10.128.14.11"
    assert rec.addresses == {"recorders": "10.128.13.11", "management": "10.128.14.11"}
    assert rec.segments["recorders"] == f"vigie-lab-{A}-recorders"
    assert rec.storage_path == "/srv/vigie/recordings"
    # The model's routes first (cameras and the central host through the gateway on
    # the recorders VLAN), then the mirror and the rest through it on management.
    assert rec.routes == [
        ("10.128.12.0/24", "10.128.13.1"),
        ("10.78.0.40/32", "10.128.13.1"),
        ("10.78.0.30/32", "10.128.14.1"),
        ("10.78.0.0/24", "10.128.14.1"),
        ("10.128.15.0/24", "10.128.14.1"),
    ]
    gw = next(h for h in top.hosts if h.name == f"{B}-gw")
    assert gw.kind == "gateway"
    # The fibre between sites: the other site's prefixes via its gateway uplink.
    assert gw.routes == [
        ("10.128.15.0/24", "10.78.0.253"),
        ("10.128.12.0/24", "10.78.0.253"),
        ("10.128.14.0/24", "10.78.0.253"),
        ("10.128.13.0/24", "10.78.0.253"),
    ]
    # Stand-in for the fibre uplink: a leg on the administration segment.
    assert gw.segments["uplink"] == "vigie-lab-admin"
    assert gw.addresses["uplink"] == "10.78.0.252"  # after the first gateway's .253
    assert {h.kind for h in top.hosts} == {"recorder", "detector_host", "gateway"}


def test_without_the_models_routes_the_site_goes_through_the_recorders_gateway(state):
    given = edited(state)
    del given.hosts[f"{A}-rec1"].vars["network__routes"]
    rec = next(h for h in topology.build(given).hosts if h.name == f"{A}-rec1")
    assert rec.routes == [
        ("10.78.0.0/24", "10.128.13.1"),
        ("10.128.15.0/24", "10.128.13.1"),
        ("10.128.12.0/24", "10.128.13.1"),
        ("10.78.0.30/32", "10.128.14.1"),
    ]


def test_cameras_come_from_the_recorders_at_their_planned_urls(state):
    top = topology.build(state)
    assert [c.host for c in top.cameras] == [
        f"{A}-hall",
        f"{A}-portail",
        f"{B}-accueil",
        f"{B}-parking-sous-sol",
    ]
    cam = top.cameras[0]
    assert cam.container == f"vigie-lab-{A}-hall"
    assert cam.credential == "vault_camera_col_rameau_versailles"
    assert cam.address == "10.128.12.23"
    assert cam.rtsp_url == "rtsp://10.128.12.23:554/stream1"
    assert cam.segment == f"vigie-lab-{A}-cameras"
    assert cam.recorder == f"{A}-rec1"
    # The detectors read the substream (vigie_detectors' streams).
    assert cam.analysis_paths == ("/stream2",)


def test_helpers_take_free_addresses_away_from_the_plan(state):
    top = topology.build(state)
    assert top.broker_segment == "vigie-lab-admin"
    assert top.broker_address == "10.78.0.251"  # below the two gateway uplinks
    assert ("10.128.13.0/24", "10.78.0.253") in top.broker_routes  # site A via its gateway
    assert ("10.128.25.0/24", "10.78.0.252") in top.broker_routes
    probe = next(p for p in top.probes if p.site == A)
    assert probe.segment == f"vigie-lab-{A}-agency"
    assert probe.address == "10.128.15.253"
    assert probe.via == "10.128.15.1"  # the site gateway, so the firewall sees the traffic


def test_the_package_mirror_is_reached_from_management(state):
    top = topology.build(state)
    det = next(h for h in top.hosts if h.name == f"{A}-det1")
    assert det.routes[:3] == [
        ("10.128.12.0/24", "10.128.13.1"),
        ("10.78.0.0/24", "10.128.13.1"),
        ("10.78.0.30/32", "10.128.14.1"),
    ]
    assert top.mirror.address == "10.78.0.30" and top.mirror.segment == "vigie-lab-admin"
    assert top.mirror.routes == top.broker_routes


def test_an_admin_workstation_reaches_each_site_through_its_gateway(state):
    probe = topology.build(state).admin_probe
    assert probe.segment == "vigie-lab-admin"
    assert probe.address == "10.78.0.250"  # below the broker
    assert probe.routes == topology.build(state).broker_routes


def test_an_address_outside_every_prefix_is_refused(state):
    broken = edited(state)
    cam = broken.hosts[f"{A}-rec1"].vars["recorder__cameras"][0]
    cam["address"] = "192.0.2.7"
    with pytest.raises(topology.TopologyError, match=rf"camera {cam['id']}: address 192\.0\.2\.7"):
        topology.build(broken)


def test_the_controller_address_cannot_be_planned_for_a_host(state):
    broken = edited(state)
    broken.hosts[f"{A}-gw"].vars["network__vlans"][0]["address"] = "10.128.12.254"
    with pytest.raises(topology.TopologyError, match="lab controller"):
        topology.build(broken)


def test_the_central_host_sits_at_the_models_address_routed_through_each_gateway(state):
    top = topology.build(state)
    (c,) = top.central
    assert (c.name, c.container) == ("vigie-central1", "vigie-lab-central1")
    assert (c.segment, c.address) == ("vigie-lab-admin", "10.78.0.40")
    assert c.routes == top.broker_routes  # each site through that site's gateway uplink
    assert c.address not in {top.broker_address, top.admin_probe.address}
    alone = edited(state)
    del alone.hosts["vigie-central1"]
    assert topology.build(alone).central == []


def test_the_witness_sits_apart_from_the_central_host_on_the_admin_segment(state):
    top = topology.build(state)
    (w,) = top.witnesses
    assert (w.name, w.container) == ("vigie-witness1", "vigie-lab-witness1")
    assert (w.segment, w.address) == ("vigie-lab-admin", "10.78.0.45")
    assert w.container not in {c.container for c in top.central}
    helpers = {top.broker_address, top.admin_probe.address, top.mirror.address}
    assert w.address not in helpers | {c.address for c in top.central}
    alone = edited(state)
    del alone.hosts["vigie-witness1"]
    assert topology.build(alone).witnesses == []


def test_a_wrong_entry_point_is_a_topology_error(tmp_path):
    entry = tmp_path / "vigie.yml"
    entry.write_text(f"plugin: vigie\npath: {ROOT / 'inventories' / 'pilot'}\nsites: [nowhere]\n")
    with pytest.raises(topology.TopologyError, match="nowhere"):
        topology.load(entry)
    with pytest.raises(topology.TopologyError, match="neither an inventory"):
        topology.load(tmp_path / "missing")
