"""The broker's identities and ACL are computed by the model (vigie.central)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from vigie import central
from vigie.loader import load_inventory

PILOT = Path(__file__).resolve().parents[2] / "inventories/pilot"


def test_each_detector_writes_only_the_cameras_it_analyses():
    inv = load_inventory(PILOT)
    users = {u.name: u for u in central.broker_users(inv)}
    houdan = users["col-houdan-det1"]
    analysed = {c.id for c in inv.sites["col-houdan"].cameras if c.detection}
    assert houdan.kind == "detector" and not houdan.read
    assert set(houdan.write) == {central.event_topic("col-houdan", c) for c in analysed} | {
        "vigie/detectors/col-houdan-det1-vigie-detector-0/health"
    }
    for u in users.values():
        if u.kind == "detector":
            assert all("+" not in t and "#" not in t for t in u.write)


def test_agencies_read_only_their_topic_and_administrators_have_no_identity():
    inv = load_inventory(PILOT)
    users = {u.name: u for u in central.broker_users(inv)}
    for agency in inv.agencies.values():
        name = central.agency_identity(agency.id)
        if agency.kind == "platform_admin":
            assert name not in users
            continue
        assert users[name].read == [central.notification_topic(agency.id)]
        assert users[name].write == []


def test_acl_file_is_stable_and_names_every_user():
    inv = load_inventory(PILOT)
    text = central.mosquitto_acl(inv)
    assert text == central.mosquitto_acl(load_inventory(PILOT))
    for u in central.broker_users(inv):
        assert f"user {u.name}\n" in text
    assert "pattern" not in text  # no rule open to every client


def test_camera_sources_name_the_recorder_of_datacenter_recorded_sites():
    inv = load_inventory(PILOT)
    src = central.camera_sources(inv)["mairie-sartrouville-parvis"]
    assert src.recorder == "dc-guyancourt-rec1"  # recorded at the datacenter for the commune


def test_detector_rights_follow_the_fleet_plan_the_stacks_deploy():
    """Several containers on one host: one identity (the host's certificate), each
    container's cameras and its own health topic (client id), nothing else."""
    from vigie.desired import DesiredState
    from vigie.options import read_options

    lab = PILOT.parent / "lab"
    inv = load_inventory(PILOT)
    # One camera per core: the lab's sites need several containers per host.
    options = dataclasses.replace(read_options(lab / "vigie.yml"), cameras_per_core=1)
    state = DesiredState.build(inv, options)
    users = {u.name: u for u in central.broker_users(inv, state.fleet)}
    for host in state.fleet.hosts:
        assert len(host.shards) >= 1
        want = {central.event_topic(c.site_id, c.id) for c in host.cameras}
        want |= {f"vigie/detectors/{s.host}-{s.container_name}/health" for s in host.shards}
        assert set(users[host.host.name].write) == want
    assert any(len(h.shards) > 1 for h in state.fleet.hosts), "several containers on one host"
