"""nftables isolation proven with real traffic between the emulated VLANs.

The agency segment's probe is routed through its site gateway, exactly like the
recorders; what separates them is the firewall. The control test opens the same
path with one extra nftables rule, so a refused connection is the firewall's
doing, not a missing route.
"""

from __future__ import annotations

import json

import pytest

from lab import docker_cli
from lab.up import SLIM_IMAGE, route
from tests.lab.containers import read_state, sh, tcp_connect, tcp_outcomes

pytestmark = pytest.mark.docker

CONTROL_COMMENT = "lab isolation control"


def hosts(lab: dict, kind: str) -> list[dict]:
    return [dict(h, name=n) for n, h in sorted(lab["hosts"].items()) if h["kind"] == kind]


def site_of(lab: dict, probe: dict) -> tuple[dict, dict, dict]:
    gw = next(h for h in hosts(lab, "gateway") if h["site"] == probe["site"])
    rec = next(h for h in hosts(lab, "recorder") if h["site"] == probe["site"])
    cam = next(c for c in lab["cameras"] if c["site"] == probe["site"])
    return gw, rec, cam


def pytest_generate_tests(metafunc):
    # One case per site probe of the running lab (none without a lab: the
    # `lab` fixture then skips, or fails in CI).
    if "probe_site" in metafunc.fixturenames:
        state = read_state()
        sites = [p["site"] for p in state["probes"]] if state else ["no-lab"]
        metafunc.parametrize("probe_site", sites)


@pytest.fixture
def probe(lab, probe_site):
    assert lab["probes"], "the lab has no agency probe: nothing proves the isolation"
    return next(p for p in lab["probes"] if p["site"] == probe_site)


def test_the_recorder_reaches_its_cameras(lab, probe):
    _gw, rec, cam = site_of(lab, probe)
    assert tcp_connect(rec["container"], cam["address"], 554) == "open"


def test_the_agency_segment_cannot_reach_a_camera(lab, probe):
    _gw, _rec, cam = site_of(lab, probe)
    outcomes = tcp_outcomes(probe["container"], cam["address"], (554, 443, 80))
    assert outcomes == dict.fromkeys((554, 443, 80), "TimeoutError")


def test_the_agency_segment_cannot_reach_the_site_hosts_ssh(lab, probe):
    _gw, rec, _cam = site_of(lab, probe)
    assert tcp_connect(probe["container"], rec["addresses"]["management"], 22) == "TimeoutError"


def forward_chain(gw: dict) -> tuple[str, str, str]:
    """(family, table, chain) of the gateway's base chain on the forward hook."""
    ruleset = json.loads(sh(gw["container"], "nft -j list chains"))["nftables"]
    for item in ruleset:
        chain = item.get("chain", {})
        if chain.get("hook") == "forward" and chain.get("policy") == "drop":
            return chain["family"], chain["table"], chain["name"]
    raise AssertionError(f"{gw['name']}: no forward chain with a drop policy")


def remove_control_rules(gw: dict, family: str, table: str, chain: str) -> None:
    listing = json.loads(sh(gw["container"], f"nft -a -j list chain {family} {table} {chain}"))
    for item in listing["nftables"]:
        r = item.get("rule")
        if r and r.get("comment") == CONTROL_COMMENT:
            sh(gw["container"], f"nft delete rule {family} {table} {chain} handle {r['handle']}")


def test_control_the_same_path_opens_with_one_nft_rule(lab, probe):
    gw, _rec, cam = site_of(lab, probe)
    family, table, chain = forward_chain(gw)
    rule = (
        f"ip saddr {probe['address']} ip daddr {cam['address']} tcp dport 554 accept "
        f'comment "{CONTROL_COMMENT}"'
    )
    sh(gw["container"], f"nft insert rule {family} {table} {chain} '{rule}'")
    try:
        assert tcp_connect(probe["container"], cam["address"], 554) == "open"
    finally:
        remove_control_rules(gw, family, table, chain)
    assert tcp_connect(probe["container"], cam["address"], 554) == "TimeoutError"


# The administration network (where administrators' workstations sit) reaches
# no camera and no recorder's video: camera configuration goes through the
# automation only. Its one path into a site is SSH to the hosts' management
# addresses (the automation path, journaled on the hosts).
VIDEO_PORTS = (554, 443, 80)


def admin_probe(lab: dict) -> dict:
    probe = lab.get("admin_probe")
    assert probe, "the lab has no administration-network probe"
    return probe


def test_the_admin_network_cannot_reach_a_camera(lab, probe):
    _gw, _rec, cam = site_of(lab, probe)
    admin = admin_probe(lab)
    outcomes = tcp_outcomes(admin["container"], cam["address"], VIDEO_PORTS)
    assert outcomes == dict.fromkeys(VIDEO_PORTS, "TimeoutError")


def test_the_admin_network_cannot_reach_a_recorders_video(lab, probe):
    _gw, rec, _cam = site_of(lab, probe)
    admin = admin_probe(lab)
    ports = (*VIDEO_PORTS, 22)
    outcomes = tcp_outcomes(admin["container"], rec["addresses"]["recorders"], ports)
    assert outcomes == dict.fromkeys(ports, "TimeoutError")


def test_the_automation_path_still_works(lab, probe):
    # SSH to the management address is the one flow the policy gives the
    # administration network (Ansible runs over it).
    _gw, rec, _cam = site_of(lab, probe)
    admin = admin_probe(lab)
    assert tcp_connect(admin["container"], rec["addresses"]["management"], 22) == "open"


def automation_address(gw: dict) -> str:
    """The automation controller the model lets configure cameras (its /32 rule)."""
    family, table, chain = forward_chain(gw)
    listing = json.loads(sh(gw["container"], f"nft -j list chain {family} {table} {chain}"))
    for item in listing["nftables"]:
        rule = item.get("rule")
        if rule and "automation controller" in rule.get("comment", ""):
            for expr in rule["expr"]:
                match = expr.get("match", {})
                if match.get("left", {}).get("payload", {}).get("field") == "saddr":
                    right = match["right"]
                    return right["prefix"]["addr"] if isinstance(right, dict) else right
    raise AssertionError(f"{gw['container']}: no automation controller rule in the forward chain")


@pytest.fixture(scope="module")
def automation(lab):
    """A stand-in for the automation controller, at its address on the admin segment."""
    admin = admin_probe(lab)
    gw = next(h for n, h in sorted(lab["hosts"].items()) if h["kind"] == "gateway")
    address = automation_address(gw)
    name = "vigie-lab-probe-automation"
    docker_cli.docker("rm", "-f", name, check=False)
    docker_cli.create_container(
        name, SLIM_IMAGE, [(admin["segment"], address)], [], ["sleep", "infinity"]
    )
    docker_cli.docker("start", name)
    try:
        for prefix, via in admin["routes"]:
            route(name, prefix, via)
        yield name
    finally:
        docker_cli.docker("rm", "-f", name, check=False)


def test_the_automation_controller_reaches_the_cameras_configuration(lab, probe, automation):
    # Let through by the gateway, refused by the simulator (it serves no web
    # interface): the packet reached the camera. From any other admin address
    # the same port times out (test_the_admin_network_cannot_reach_a_camera).
    _gw, _rec, cam = site_of(lab, probe)
    assert tcp_connect(automation, cam["address"], 443) == "ConnectionRefusedError"
    assert tcp_connect(automation, cam["address"], 554) == "TimeoutError"


def test_control_admin_to_camera_opens_with_one_nft_rule(lab, probe):
    # Routing from the administration network to the camera works: the drop
    # above is the gateway's firewall, nothing else.
    gw, _rec, cam = site_of(lab, probe)
    admin = admin_probe(lab)
    family, table, chain = forward_chain(gw)
    rule = (
        f"ip saddr {admin['address']} ip daddr {cam['address']} tcp dport 554 accept "
        f'comment "{CONTROL_COMMENT}"'
    )
    sh(gw["container"], f"nft insert rule {family} {table} {chain} '{rule}'")
    try:
        assert tcp_connect(admin["container"], cam["address"], 554) == "open"
    finally:
        remove_control_rules(gw, family, table, chain)
    assert tcp_connect(admin["container"], cam["address"], 554) == "TimeoutError"
