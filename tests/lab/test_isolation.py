"""nftables isolation proven with real traffic between the emulated VLANs.

The agency segment's probe is routed through its site gateway, exactly like the
recorders; what separates them is the firewall. The control test opens the same
path with one extra nftables rule, so a refused connection is the firewall's
doing, not a missing route.
"""

from __future__ import annotations

import json

import pytest
from lab_helpers import read_state, sh, tcp_connect

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
    for port in (554, 443, 80):
        assert tcp_connect(probe["container"], cam["address"], port) == "TimeoutError", port


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
        listing = json.loads(sh(gw["container"], f"nft -a -j list chain {family} {table} {chain}"))
        for item in listing["nftables"]:
            r = item.get("rule")
            if r and r.get("comment") == CONTROL_COMMENT:
                sh(
                    gw["container"],
                    f"nft delete rule {family} {table} {chain} handle {r['handle']}",
                )
    assert tcp_connect(probe["container"], cam["address"], 554) == "TimeoutError"
