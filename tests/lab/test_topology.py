"""The lab's layout comes from the inventory plugin's host variables, unchanged."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab import topology

DATA = Path(__file__).parent / "data" / "two-sites.yml"


@pytest.fixture(scope="module")
def inventory() -> dict:
    # The real ansible-inventory on a file shaped like the plugin's output.
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(DATA), "--list"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def test_one_segment_per_site_vlan_plus_shared_admin(inventory):
    top = topology.build(inventory)
    names = [s.name for s in top.segments]
    assert names == sorted(names)
    assert "vigie-lab-admin" in names
    for site in ("clg-test-a", "dep-test-b"):
        for vlan in ("cameras", "recorders", "management", "agency"):
            assert f"vigie-lab-{site}-{vlan}" in names
    assert len(names) == 9
    assert all(n.startswith("vigie-lab-") for n in names)


def test_controller_takes_the_address_the_plan_leaves_free(inventory):
    top = topology.build(inventory)
    seg = top.segment("vigie-lab-clg-test-a-cameras")
    assert seg.prefix == "10.99.4.0/24"
    assert seg.controller_address == "10.99.4.254"


def test_hosts_keep_their_planned_addresses_and_segments(inventory):
    top = topology.build(inventory)
    rec = next(h for h in top.hosts if h.name == "clg-test-a-rec1")
    assert rec.kind == "recorder"
    assert rec.container == "vigie-lab-clg-test-a-rec1"
    assert rec.ansible_host == "10.99.6.11"
    assert rec.addresses == {"recorders": "10.99.5.11", "management": "10.99.6.11"}
    assert rec.segments["recorders"] == "vigie-lab-clg-test-a-recorders"
    assert rec.storage_path == "/srv/vigie/recordings"
    # Routed through the site gateway, as in production, not through the lab machine.
    # Through the gateway on the recorders VLAN: the policy's source for RTSP and MQTT.
    assert rec.routes == [
        ("10.99.255.0/24", "10.99.5.1"),
        ("10.99.7.0/24", "10.99.5.1"),
        ("10.99.4.0/24", "10.99.5.1"),
    ]
    gw = next(h for h in top.hosts if h.name == "dep-test-b-gw")
    assert gw.kind == "gateway"
    # The fibre between sites: the other site's prefixes via its gateway uplink.
    assert gw.routes == [
        ("10.99.7.0/24", "10.99.255.253"),
        ("10.99.4.0/24", "10.99.255.253"),
        ("10.99.6.0/24", "10.99.255.253"),
        ("10.99.5.0/24", "10.99.255.253"),
    ]
    # Stand-in for the fibre uplink: a leg on the administration segment.
    assert gw.segments["uplink"] == "vigie-lab-admin"
    assert gw.addresses["uplink"] == "10.99.255.252"  # after clg-test-a-gw's .253
    assert {h.kind for h in top.hosts} == {"recorder", "detector_host", "gateway"}


def test_cameras_come_from_the_recorders_at_their_planned_urls(inventory):
    top = topology.build(inventory)
    assert [c.host for c in top.cameras] == [
        "clg-test-a-cam1",
        "clg-test-a-cam2",
        "dep-test-b-cam1",
        "dep-test-b-cam2",
    ]
    cam = top.cameras[0]
    assert cam.container == "vigie-lab-clg-test-a-cam1"
    assert cam.credential == "vault_camera_clg-test-a"
    assert cam.address == "10.99.4.21"
    assert cam.rtsp_url == "rtsp://10.99.4.21:554/stream1"
    assert cam.segment == "vigie-lab-clg-test-a-cameras"
    assert cam.recorder == "clg-test-a-rec1"


def test_helpers_take_free_addresses_away_from_the_plan(inventory):
    top = topology.build(inventory)
    assert top.broker_segment == "vigie-lab-admin"
    assert top.broker_address == "10.99.255.251"  # below the two gateway uplinks
    assert ("10.99.5.0/24", "10.99.255.253") in top.broker_routes  # site a via its gateway
    assert ("10.99.9.0/24", "10.99.255.252") in top.broker_routes
    probe = next(p for p in top.probes if p.site == "clg-test-a")
    assert probe.segment == "vigie-lab-clg-test-a-agency"
    assert probe.address == "10.99.7.253"
    assert probe.via == "10.99.7.1"  # the site gateway, so the firewall sees the traffic


def test_the_models_routes_come_first_the_rest_follows_management(inventory):
    # What the desired state gives a recorder: its camera flows per destination.
    given = copy.deepcopy(inventory)
    rec = given["_meta"]["hostvars"]["clg-test-a-rec1"]
    rec["network__routes"] = [{"to": "10.99.4.0/24", "via": "10.99.5.1", "vlan": "recorders"}]
    top = topology.build(given)
    rec = next(h for h in top.hosts if h.name == "clg-test-a-rec1")
    assert rec.routes == [
        ("10.99.4.0/24", "10.99.5.1"),
        # production's default route: through the gateway on management
        ("10.99.255.0/24", "10.99.6.1"),
        ("10.99.7.0/24", "10.99.6.1"),
    ]


def test_the_package_mirror_is_reached_from_management(inventory):
    given = copy.deepcopy(inventory)
    det = given["_meta"]["hostvars"]["clg-test-a-det1"]
    det["network__routes"] = [{"to": "10.99.255.0/24", "via": "10.99.5.1", "vlan": "recorders"}]
    for hv in given["_meta"]["hostvars"].values():
        hv["network__package_mirror"] = {"address": "10.99.255.30", "port": 3142, "proto": "tcp"}
    top = topology.build(given)
    det = next(h for h in top.hosts if h.name == "clg-test-a-det1")
    assert det.routes[:2] == [("10.99.255.0/24", "10.99.5.1"), ("10.99.255.30/32", "10.99.6.1")]
    assert top.mirror.address == "10.99.255.30" and top.mirror.segment == "vigie-lab-admin"
    assert top.mirror.routes == top.broker_routes


def test_an_admin_workstation_reaches_each_site_through_its_gateway(inventory):
    top = topology.build(inventory)
    probe = top.admin_probe
    assert probe.segment == "vigie-lab-admin"
    assert probe.address == "10.99.255.250"  # below the broker
    assert probe.routes == top.broker_routes


def test_an_address_outside_every_prefix_is_refused(inventory):
    broken = copy.deepcopy(inventory)
    rec = broken["_meta"]["hostvars"]["clg-test-a-rec1"]
    rec["vigie_cameras"][0]["address"] = "192.0.2.7"
    with pytest.raises(
        topology.TopologyError, match=r"camera clg-test-a-cam1: address 192\.0\.2\.7"
    ):
        topology.build(broken)


def test_the_controller_address_cannot_be_planned_for_a_host(inventory):
    broken = copy.deepcopy(inventory)
    gw = broken["_meta"]["hostvars"]["clg-test-a-gw"]
    gw["vigie_vlans"][0]["address"] = "10.99.4.254"
    with pytest.raises(topology.TopologyError, match="lab controller"):
        topology.build(broken)


def test_the_central_host_sits_at_the_models_address_routed_through_each_gateway(inventory):
    given = copy.deepcopy(inventory)
    given["central"] = {"hosts": ["vigie-central1"]}
    given["_meta"]["hostvars"]["vigie-central1"] = {"ansible_host": "10.99.255.40"}
    top = topology.build(given)
    (c,) = top.central
    assert (c.name, c.container) == ("vigie-central1", "vigie-lab-central1")
    assert (c.segment, c.address) == ("vigie-lab-admin", "10.99.255.40")
    assert c.routes == top.broker_routes  # each site through that site's gateway uplink
    assert c.address not in {top.broker_address, top.admin_probe.address}
    assert topology.build(inventory).central == []
