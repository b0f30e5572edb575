"""Only the access gateway reaches a recorder's segment server, in the
model's firewall policy: every site gateway's forward rules, checked against the
recorders' addresses with netaddr (not with the policy's own names)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from netaddr import IPAddress, IPNetwork

from tests.inventory.inventories import BASE, CASES, PILOT, REPO, TODAY, overlay
from vigie.desired import SEGMENT_PORT, DesiredState
from vigie.loader import load_inventory


def rules_reaching(state: DesiredState, address: str) -> list[dict]:
    """Forward rules of every gateway that let something reach `address`."""
    return [
        rule
        for rules in state.firewall.values()
        for rule in rules
        if IPAddress(address) in IPNetwork(rule["daddr"])
    ]


def recorder_addresses(state: DesiredState) -> dict[str, str]:
    """Every address of every recorder -> the VLAN it is on."""
    return {
        vlan["address"]: vlan["name"]
        for host in state.hosts.values()
        if host.kind == "recorder"
        for vlan in host.vars["network__vlans"]
    }


def opens_segments(rule: dict) -> bool:
    return rule.get("port") in (SEGMENT_PORT, None)


@pytest.mark.parametrize("data", ["pilot", "base+central"])
def test_only_the_central_hosts_reach_a_recorder_s_segment_server(data, tmp_path):
    root = (
        PILOT if data == "pilot" else overlay(tmp_path / "inv", CASES / "NET-ADMIN-SERVICES/valid")
    )
    inv = load_inventory(root, today=TODAY)
    state = DesiredState.build(inv)
    central = {f"{h.address}/32" for h in inv.departement.central}
    assert central, "the data declares central hosts"
    addresses = recorder_addresses(state)
    assert "recorders" in addresses.values() and "management" in addresses.values()
    for address, vlan in addresses.items():
        for rule in rules_reaching(state, address):
            if vlan == "recorders" or opens_segments(rule):
                # Into the recorders VLAN, or onto the segment port of any address:
                # the central hosts only, the segment port only.
                assert rule["saddr"] in central, (address, rule)
                assert (rule["proto"], rule.get("port")) == ("tcp", SEGMENT_PORT), (address, rule)
    # Every site with recorders opens its recorders VLAN to every central host.
    sites = {h.site for h in state.hosts.values() if h.kind == "recorder"}
    assert sites
    for host in state.hosts.values():
        if host.kind == "gateway" and host.site in sites:
            segment_rules = [r for r in state.firewall[host.name] if r.get("port") == SEGMENT_PORT]
            assert {r["saddr"] for r in segment_rules} == central, host.name


def test_without_central_hosts_nothing_reaches_a_recorder_s_segments(tmp_path):
    inv = load_inventory(overlay(tmp_path / "inv"), today=TODAY)
    assert not inv.departement.central
    state = DesiredState.build(inv)
    addresses = recorder_addresses(state)
    assert addresses
    for address, vlan in addresses.items():
        for rule in rules_reaching(state, address):
            assert vlan != "recorders" and not opens_segments(rule), (address, rule)


def test_no_agency_network_reaches_a_recorder():
    """The former agency -> recorders 443 opening is gone: viewers go through the gateway."""
    state = DesiredState.build(load_inventory(PILOT, today=TODAY))
    agency = [
        vlan["prefix"]
        for host in state.hosts.values()
        if host.kind == "gateway"
        for vlan in host.vars["network__vlans"]
        if vlan["name"] == "agency"
    ]
    assert agency
    for rules in state.firewall.values():
        for rule in rules:
            if rule["saddr"] in agency:
                pytest.fail(f"an agency network is a source of a forward rule: {rule}")


def test_the_access_gateway_fetches_on_the_port_the_gateways_open():
    """The gateway's hand-over, as the real plugin gives it to the central group:
    every camera's recorder is asked on the port the site gateways open."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(PILOT),
         "--host", "vigie-central1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    cameras = json.loads(out.stdout)["access_gateway__handover"]["cameras"]
    assert cameras
    for key, camera in cameras.items():
        assert camera["recorder_url"].endswith(f":{SEGMENT_PORT}"), key
    assert BASE.is_dir()
