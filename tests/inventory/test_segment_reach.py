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
from inventory_support import BASE, CASES, PILOT, REPO, TODAY, overlay
from netaddr import IPAddress, IPNetwork

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
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(PILOT),
         "--host", "vigie-central1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    url = json.loads(out.stdout)["access_gateway__recorder_url"]
    assert url == f"http://{{address}}:{SEGMENT_PORT}"
    assert BASE.is_dir()


def recorders(state: DesiredState) -> list:
    return [h for h in state.hosts.values() if h.kind == "recorder"]


@pytest.mark.parametrize("data", ["pilot", "base+central"])
def test_every_recorder_serves_the_central_hosts_and_answers_by_the_recorders_vlan(data, tmp_path):
    """The recorder role's inputs: who may read (its own firewall opens the port to
    them only), on which port, and a route so that the answer leaves by the VLAN
    the request came in on (strict reverse-path filtering drops it otherwise)."""
    root = (
        PILOT if data == "pilot" else overlay(tmp_path / "inv", CASES / "NET-ADMIN-SERVICES/valid")
    )
    inv = load_inventory(root, today=TODAY)
    state = DesiredState.build(inv)
    central = sorted({h.address for h in inv.departement.central})
    assert central
    hosts = recorders(state)
    # The datacenter's recorders (commune footage recorded away from its site) too.
    remote = {
        h.name
        for h in hosts
        if any(o.recording_site == h.site and o.id != h.site for o in inv.sites.values())
    }
    # The pilot's Maule and Sartrouville cameras are recorded at the datacenter.
    assert remote or data != "pilot", "the pilot has a datacenter recorder for communes"
    for host in hosts:
        v = host.vars
        assert sorted(v["recorder__segment_readers"]) == central, host.name
        assert len(v["recorder__segment_readers"]) == len(central), "no duplicate reader"
        assert v["recorder__segment_port"] == SEGMENT_PORT
        vlan = next(x for x in v["network__vlans"] if x["name"] == "recorders")
        for address in central:
            route = next(r for r in v["network__routes"] if r["to"] == f"{address}/32")
            assert route["vlan"] == "recorders", host.name
            assert route["via"] == vlan["gateway"], host.name
            assert IPAddress(route["via"]) in IPNetwork(vlan["prefix"]), host.name
        # The site gateway forwards exactly these readers to this recorder's address.
        gateway = next(
            h for h in state.hosts.values() if h.kind == "gateway" and h.site == host.site
        )
        sources = {
            rule["saddr"]
            for rule in state.firewall[gateway.name]
            if rule.get("port") == SEGMENT_PORT
            and IPAddress(vlan["address"]) in IPNetwork(rule["daddr"])
        }
        assert sources == {f"{a}/32" for a in central}, host.name


def test_without_central_hosts_a_recorder_has_no_reader_and_no_route_for_one(tmp_path):
    inv = load_inventory(overlay(tmp_path / "inv"), today=TODAY)
    state = DesiredState.build(inv)
    hosts = recorders(state)
    assert hosts
    for host in hosts:
        assert host.vars["recorder__segment_readers"] == []
        assert all(not r["to"].endswith("/32") for r in host.vars["network__routes"])
