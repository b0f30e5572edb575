"""The network plan: fixed offsets, no overlap, and stability when things are added."""

from __future__ import annotations

import shutil
from pathlib import Path

from netaddr import IPAddress, IPSet

from tests.inventory.inventories import BASE, PILOT, TODAY
from vigie.loader import load_inventory
from vigie.lockfile import write_lock
from vigie.netplan import plan_network

NEW_SITE = """\
sites:
  - id: aaa-new
    name: A new site sorted first
    kind: departmental_building
    insee: "78646"
    authorisation: AP-TEST
    uplink: pop-a
    recorders: [{id: 1, disk_gb: 2000}]
    cameras:
      - {id: aaa-cam, area: entrance}
"""


def snapshot(root: Path) -> dict:
    plan = plan_network(load_inventory(root, today=TODAY))
    return {
        sid: (
            sp.slot,
            sp.prefix_strings(),
            dict(sp.vlans),
            {cid: sp.camera_address(cid) for cid in sp.camera_numbers},
        )
        for sid, sp in plan.sites.items()
    }


def test_pilot_prefixes_do_not_overlap_and_vlans_are_unique():
    plan = plan_network(load_inventory(PILOT))
    seen = IPSet()
    vlans = []
    for sp in plan.sites.values():
        for net in sp.prefixes.values():
            assert not (seen & IPSet([net])), f"{net} overlaps"
            seen.add(net)
        vlans += sp.vlans.values()
    assert len(vlans) == len(set(vlans)) and all(1 <= v <= 4094 for v in vlans)
    assert not (seen & IPSet([plan.admin_prefix]))


def test_fixed_offsets():
    inv = load_inventory(PILOT)
    plan = plan_network(inv)
    for site in inv.sites.values():
        sp = plan.sites[site.id]
        for name, net in sp.prefixes.items():
            assert sp.gateway(name) == str(IPAddress(net.first + 1))
        used = {sp.camera_address(c.id) for c in site.cameras}
        used |= {sp.recorder_address(r.id) for r in site.recorders}
        used |= {sp.detector_address(d.id) for d in site.detector_hosts}
        assert not any(a.endswith(".254") or a.endswith(".255") or a.endswith(".1") for a in used)
        assert len(used) == len(site.cameras) + len(site.recorders) + len(site.detector_hosts)
        assert sp.recorder_address(1).endswith(".11") and sp.detector_address(1).endswith(".51")


def test_adding_a_site_and_a_camera_moves_nothing(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    before = snapshot(root)
    (root / "sites" / "aaa-new.yml").write_text(NEW_SITE)
    college = root / "sites" / "college.yml"
    college.write_text(college.read_text() + "      - {id: aaa-first-by-name, area: hall}\n")
    after = snapshot(root)
    for sid, (slot, prefixes, vlans, cams) in before.items():
        assert after[sid][0] == slot and after[sid][1] == prefixes and after[sid][2] == vlans
        assert {c: a for c, a in after[sid][3].items() if c in cams} == cams
    assert after["aaa-new"][0] not in {v[0] for v in before.values()}


def test_a_removed_site_keeps_its_slot(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    college_slot = snapshot(root)["college"][0]
    (root / "sites" / "college.yml").unlink()
    write_lock(load_inventory(root, today=TODAY), root)
    (root / "sites" / "aaa-new.yml").write_text(NEW_SITE)
    assert snapshot(root)["aaa-new"][0] != college_slot


def test_lock_round_trip_is_stable(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    before = snapshot(root)
    write_lock(load_inventory(root, today=TODAY), root)
    assert snapshot(root) == before
    assert (root / "netplan.lock.yml").read_text() == (BASE / "netplan.lock.yml").read_text()
