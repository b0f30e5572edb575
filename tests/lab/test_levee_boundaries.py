"""What the levée de doute must keep closed in the lab, by real traffic:
a detector cannot publish for another site's camera (the broker's ACL, from the
model; the refusal is in the broker's log), and only the central host reaches a
recorder's segment server (tcp 8088)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab import levee
from tests.lab.containers import sh, tcp_connect, wait_for
from tests.lab.levee_actors import publish_as_detector
from vigie import central

pytestmark = pytest.mark.docker


def broker_log(lab) -> str:
    return sh(lab["mqtt"]["container"], f"cat {lab['mqtt']['log']}")


def test_a_detector_cannot_publish_for_another_sites_camera(lab, tmp_path):
    own_host, other = "col-rameau-versailles-det1", "hdd-versailles"
    own_site = lab["hosts"][own_host]["site"]
    own_cam = next(levee.camera_id(c) for c in lab["cameras"] if c["site"] == own_site)
    other_cam = next(levee.camera_id(c) for c in lab["cameras"] if c["site"] == other)
    received: list[tuple[str, dict]] = []
    watcher = levee.Client(lab, central.ACCESS_SERVICE, tmp_path).mqtt(
        lambda _c, _u, m: received.append((m.topic, json.loads(m.payload)))
    )
    watcher.subscribe("vigie/+/+/events", qos=1)
    time.sleep(1)
    marker = f"lab-acl-{time.time_ns()}"
    cid = f"{own_host}-acl-test"
    doc = json.dumps({"marker": marker})
    try:
        refused = publish_as_detector(
            lab, own_host, central.event_topic(other, other_cam), cid, doc
        )
        # Control: the same identity, same client, on its own camera's topic is delivered.
        # (A real event shape is not needed: the access service refuses unknown
        # documents itself; here only the broker's decision is looked at.)
        accepted = publish_as_detector(
            lab, own_host, central.event_topic(own_site, own_cam), cid, doc
        )
        got, _ = wait_for(lambda: [t for t, p in received if p.get("marker") == marker], 10)
    finally:
        watcher.disconnect()
        watcher.loop_stop()
    assert accepted.get("reason") == 0 and refused.get("reason") == 0x87, (accepted, refused)
    assert got == [central.event_topic(own_site, own_cam)]
    log = broker_log(lab)
    denied = f"Denied PUBLISH from {cid}"
    assert denied in log and central.event_topic(other, other_cam) in log
    print(next(line for line in log.splitlines() if denied in line))


def recorder_targets(lab) -> list[tuple[str, str]]:
    """(recorder name, its address on the recorders VLAN) — where it serves 8088."""
    return [
        (name, h["addresses"]["recorders"])
        for name, h in sorted(lab["hosts"].items())
        if h["kind"] == "recorder"
    ]


def probers(lab) -> list[str]:
    """Every lab container but the central host that can run a TCP probe: the
    site hosts (recorders, detector hosts, gateways), the agency probes and the
    administration network's workstation."""
    out = [h["container"] for h in lab["hosts"].values()]
    out += [p["container"] for p in lab["probes"]]
    if lab.get("admin_probe"):
        out.append(lab["admin_probe"]["container"])
    return sorted(out)


SEGMENT_PORT = 8088
CONTROL = "lab segment server control"


def drop_chains(container: str) -> list[tuple[str, str, str]]:
    """(family, table, chain) of the base chains with a drop policy (input, forward, output)."""
    ruleset = json.loads(sh(container, "nft -j list chains"))["nftables"]
    return [
        (c["family"], c["table"], c["name"])
        for c in (item.get("chain", {}) for item in ruleset)
        if c.get("hook") in ("input", "forward", "output") and c.get("policy") == "drop"
    ]


def open_8088(containers: list[str]) -> None:
    for container in containers:
        for family, table, chain in drop_chains(container):
            rule = f'tcp dport {SEGMENT_PORT} accept comment "{CONTROL}"'
            sh(container, f"nft insert rule {family} {table} {chain} '{rule}'")


def close_8088(containers: list[str]) -> None:
    for container in containers:
        for family, table, chain in drop_chains(container):
            listing = json.loads(sh(container, f"nft -a -j list chain {family} {table} {chain}"))
            for item in listing["nftables"]:
                r = item.get("rule")
                if r and r.get("comment") == CONTROL:
                    sh(container, f"nft delete rule {family} {table} {chain} handle {r['handle']}")


def outcomes(lab, address: str, skip: str) -> dict[str, str]:
    """Every prober at once (one 3 s timeout for all)."""
    who = [c for c in probers(lab) if c != skip]
    with ThreadPoolExecutor(len(who)) as pool:
        got = pool.map(lambda c: tcp_connect(c, address, SEGMENT_PORT), who)
        return dict(zip(who, got, strict=True))


def test_only_the_central_host_reaches_the_recorders_segment_servers(lab):
    """From the central host: open. From every other lab host: dropped (timeout) or
    refused. Control: with one accept rule for 8088 in every drop-policy chain of
    the lab's hosts (recorder input, gateways' forward, hosts' output; then
    removed), the hosts whose packets can come back open the same connection —
    so their refusal was the firewalls', not the routing's."""
    central_container = lab["central"][0]["container"]
    firewalls = sorted(h["container"] for h in lab["hosts"].values())
    for name, address in recorder_targets(lab):
        rec = lab["hosts"][name]["container"]
        assert tcp_connect(central_container, address, SEGMENT_PORT) == "open", (
            f"{name}: the central host does not reach the segment server at {address}:8088"
        )
        closed = outcomes(lab, address, rec)
        assert all(o in ("TimeoutError", "ConnectionRefusedError") for o in closed.values()), (
            name,
            closed,
        )
        open_8088(firewalls)
        try:
            opened = outcomes(lab, address, rec)
        finally:
            close_8088(firewalls)
        controlled = sorted(c for c, o in opened.items() if o == "open")
        print(f"{name}: closed to {closed}; opened by the control rule for {controlled}")
        # The site's own hosts on the recorders VLAN (detector host, gateway) at least.
        site = lab["hosts"][name]["site"]
        neighbours = {
            h["container"]
            for h in lab["hosts"].values()
            if h["site"] == site and h["kind"] in ("detector_host", "gateway")
        }
        assert neighbours <= set(controlled), opened
        assert outcomes(lab, address, rec) == closed
