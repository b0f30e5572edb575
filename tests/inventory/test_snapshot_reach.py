"""Only the access gateway reaches a detector host's still images, in the
model: the detector hosts' role inputs (readers, port, a route back by the VLAN the
requests come in on) and every site gateway's forward rules, checked against the
detector hosts' addresses with netaddr (not with the policy's own names)."""

from __future__ import annotations

import pytest
from netaddr import IPAddress, IPNetwork

from tests.inventory.inventories import CASES, PILOT, TODAY, overlay
from vigie.desired import SNAPSHOT_PORT, DesiredState
from vigie.loader import load_inventory


def build(data: str, tmp_path) -> tuple:
    root = {
        "pilot": lambda: PILOT,
        "base+central": lambda: overlay(tmp_path / "inv", CASES / "NET-ADMIN-SERVICES/valid"),
        "base": lambda: overlay(tmp_path / "inv"),
    }[data]()
    inv = load_inventory(root, today=TODAY)
    return inv, DesiredState.build(inv)


def detector_hosts(state: DesiredState) -> list:
    hosts = [h for h in state.hosts.values() if h.kind == "detector_host"]
    assert hosts, "the data has detector hosts"
    return hosts


def data_address(host) -> str:
    return next(v["address"] for v in host.vars["network__vlans"] if v["name"] == "recorders")


def route_to(host, address: str) -> dict:
    """The route the host's kernel picks for `address` (longest prefix)."""
    routes = [r for r in host.vars["network__routes"] if IPAddress(address) in IPNetwork(r["to"])]
    assert routes, (host.name, address)
    return max(routes, key=lambda r: IPNetwork(r["to"]).prefixlen)


def rules_reaching(state: DesiredState, address: str) -> list[dict]:
    return [
        rule
        for rules in state.firewall.values()
        for rule in rules
        if IPAddress(address) in IPNetwork(rule["daddr"])
    ]


@pytest.mark.parametrize("data", ["pilot", "base+central"])
def test_every_detector_host_serves_the_central_hosts_and_answers_by_the_recorders_vlan(
    data, tmp_path
):
    inv, state = build(data, tmp_path)
    central = sorted({h.address for h in inv.departement.central})
    assert central
    for host in detector_hosts(state):
        v = host.vars
        assert sorted(v["detector_host__snapshot_readers"]) == central, host.name
        assert len(v["detector_host__snapshot_readers"]) == len(central), "no duplicate reader"
        assert v["detector_host__snapshot_port"] == SNAPSHOT_PORT
        vlan = next(x for x in v["network__vlans"] if x["name"] == "recorders")
        for address in central:
            # Replies leave by the VLAN the gateway's requests came in on.
            route = route_to(host, address)
            assert route["vlan"] == "recorders", host.name
            assert route["via"] == vlan["gateway"], host.name
            assert IPAddress(route["via"]) in IPNetwork(vlan["prefix"]), host.name


@pytest.mark.parametrize("data", ["pilot", "base+central"])
def test_only_the_central_hosts_reach_a_detector_host_s_snapshot_port(data, tmp_path):
    inv, state = build(data, tmp_path)
    central = {f"{h.address}/32" for h in inv.departement.central}
    hosts = detector_hosts(state)
    for host in hosts:
        address = data_address(host)
        gateway = next(
            h for h in state.hosts.values() if h.kind == "gateway" and h.site == host.site
        )
        # Exactly the central hosts, to this host's own address, on the port only,
        # once each.
        opening = [
            r
            for r in state.firewall[gateway.name]
            if r.get("port") == SNAPSHOT_PORT and IPAddress(address) in IPNetwork(r["daddr"])
        ]
        assert sorted(r["saddr"] for r in opening) == sorted(central), host.name
        assert all(r["proto"] == "tcp" and r["daddr"] == f"{address}/32" for r in opening), (
            host.name
        )
        # Nothing else in the whole policy opens that port (or every port) to it.
        for rule in rules_reaching(state, address):
            if rule.get("port") in (SNAPSHOT_PORT, None):
                assert rule["saddr"] in central and rule.get("port") == SNAPSHOT_PORT, rule
    # The snapshot port goes to detector hosts only: no recorder, camera or VLAN.
    addresses = {data_address(h) for h in hosts}
    for rules in state.firewall.values():
        for rule in rules:
            if rule.get("port") == SNAPSHOT_PORT:
                assert rule["daddr"].removesuffix("/32") in addresses, rule


def test_without_central_hosts_nobody_reads_the_snapshots(tmp_path):
    inv, state = build("base", tmp_path)
    assert not inv.departement.central
    for host in detector_hosts(state):
        assert host.vars["detector_host__snapshot_readers"] == []
        assert host.vars["detector_host__snapshot_port"] == SNAPSHOT_PORT
    for rules in state.firewall.values():
        assert all(r.get("port") != SNAPSHOT_PORT for r in rules)


def test_the_access_gateway_fetches_on_the_port_the_gateways_open(tmp_path):
    """Every still image the gateway asks for is asked on the model's port."""
    _inv, state = build("pilot", tmp_path)
    cameras = state.group_vars["central"]["access_gateway__handover"]["cameras"]
    urls = [c["snapshot_url"] for c in cameras.values() if c.get("snapshot_url")]
    assert urls, "the pilot analyses cameras"
    assert all(u.endswith(f":{SNAPSHOT_PORT}") for u in urls), urls


def test_the_gateway_fetches_still_images_where_the_model_serves_them(tmp_path, monkeypatch):
    """The still-image port has one home (vigie.desired.SNAPSHOT_PORT): changed there,
    the detector hosts serve on it and the hand-over the role writes for the gateway
    (rendered by Ansible's Templar, read back by vigie-access) asks it."""
    from tests.inventory.test_one_home import role_hand_over
    from vigie.desired import constants as desired

    monkeypatch.setattr(desired, "SNAPSHOT_PORT", 9189)
    _inv, state = build("pilot", tmp_path)
    assert {h.vars["detector_host__snapshot_port"] for h in detector_hosts(state)} == {9189}
    addresses = {v["address"] for h in detector_hosts(state) for v in h.vars["network__vlans"]}
    document = role_hand_over(state, tmp_path)
    urls = {c["snapshot_url"] for c in document["cameras"].values() if c.get("snapshot_url")}
    assert urls and all(u.endswith(":9189") for u in urls), urls
    # ... of a detector host's own address.
    assert {u.split("//")[1].rsplit(":", 1)[0] for u in urls} <= addresses
