"""The typed hand-over: a desired state that breaks what a consumer takes is refused
when it is built, naming the host and the field (a bug of the builder, caught
before anything reaches Ansible or Pulumi)."""

from __future__ import annotations

import pytest

from tests.inventory.inventories import PILOT, TODAY
from vigie.desired import DesiredState, HandOverError, constants, schemas
from vigie.loader import load_inventory


@pytest.fixture(scope="module")
def pilot():
    inv = load_inventory(PILOT, today=TODAY)
    return inv, DesiredState.build(inv)


def a_recorder(state: DesiredState):
    host = next(h for h in state.hosts.values() if h.kind == "recorder")
    return host, {**state.group_vars["recorders"], **host.vars}


def test_the_pilot_hands_over_what_each_consumer_takes(pilot):
    _inv, state = pilot
    host, given = a_recorder(state)
    schemas.check(schemas.RecorderInputs, host.name, given, "recorder__")
    assert state.detectors, "the pilot has detector containers"


def test_a_port_out_of_range_is_refused_naming_the_host_and_field(pilot, monkeypatch):
    inv, _state = pilot
    monkeypatch.setattr(constants, "SEGMENT_PORT", 0)
    with pytest.raises(HandOverError) as exc:
        DesiredState.build(inv)
    text = str(exc.value)
    assert "-rec" in text and "RecorderInputs" in text, text
    assert "recorder__segment_port" in text, text


def test_an_input_the_role_does_not_declare_is_refused(pilot):
    _inv, state = pilot
    host, given = a_recorder(state)
    typo = {**given, "recorder__retention_dayz": 30}
    with pytest.raises(HandOverError, match="recorder__retention_dayz"):
        schemas.check(schemas.RecorderInputs, host.name, typo, "recorder__")


def test_a_detector_container_without_cameras_is_refused(pilot):
    _inv, state = pilot
    name, config = next(iter(state.detectors.items()))
    with pytest.raises(HandOverError, match=name):
        schemas.check(schemas.DetectorConfig, name, {**config, "cameras": []})


@pytest.mark.parametrize("name", ["pilot", "production"])
def test_the_access_service_s_hand_over_validates(name):
    """What the central group is given for vigie-access, built as the plugin builds it
    (the inventory's vigie.yml options), passes the schema the service loads it with."""
    from vigie.desired.gateway import GatewayHandOver
    from vigie.options import read_options

    options = read_options(PILOT.parent / name / "vigie.yml")
    state = DesiredState.build(load_inventory(options.data_dir, today=TODAY), options)
    given = state.group_vars[constants.CENTRAL_GROUP]["access_gateway__handover"]
    doc = GatewayHandOver.model_validate(given)
    assert doc.cameras and doc.policy.entities and doc.sites and doc.agencies
    # Every camera of the sites kept, each on its recorder; every analysed camera on
    # the detector host the fleet plan gives it.
    cameras = {f"{s.id}/{c.id}" for s in state.inventory.sites.values() for c in s.cameras}
    assert {f"{c.site}/{c.camera}" for c in doc.cameras.values()} == cameras
    analysed = {(c.site_id, c.id): h.host.name for h in state.fleet.hosts for c in h.cameras}
    for cam in doc.cameras.values():
        assert cam.detector_host == analysed.get((cam.site, cam.camera))
        assert (cam.snapshot_url is None) == (cam.detector_host is None)
    assert doc.broker.model_dump() == {**state.broker, "topic_prefix": "vigie"}


def test_the_hand_over_follows_the_deployment_s_options():
    """The lab's options (a few sites, small shards): the service is told the
    detector hosts the lab's fleet plan deploys, not a plan of its own."""
    from vigie.desired.gateway import GatewayHandOver
    from vigie.options import read_options

    options = read_options(PILOT.parent / "lab" / "vigie.yml")
    state = DesiredState.build(load_inventory(options.data_dir, today=TODAY), options)
    doc = GatewayHandOver.model_validate(state.gateway)
    assert {c.site for c in doc.cameras.values()} == set(options.sites)
    hosts = {h.host.name for h in state.fleet.hosts}
    assert {c.detector_host for c in doc.cameras.values()} - {None} <= hosts


@pytest.mark.parametrize(("entry", "seconds"), [("lab", 20), ("pilot", 300)])
def test_the_recorders_and_the_gateway_share_one_segment_length(entry, seconds):
    """The lab's entry point shortens the segments: its recorders cut at that length
    and the gateway's playlists count on the same; without it, the model's."""
    from vigie.options import read_options

    source = PILOT.parent / entry
    options = read_options(source / "vigie.yml" if entry == "lab" else source)
    state = DesiredState.build(load_inventory(options.data_dir, today=TODAY), options)
    recorders = [h.vars for h in state.hosts.values() if h.kind == "recorder"]
    assert recorders
    assert {v["recorder__segment_seconds"] for v in recorders} == {seconds}
    assert state.gateway["segment_seconds"] == seconds


def test_the_model_s_segment_length_has_one_home(monkeypatch):
    monkeypatch.setattr(constants, "SEGMENT_SECONDS", 4747)
    state = DesiredState.build(load_inventory(PILOT, today=TODAY))
    recorders = [h.vars for h in state.hosts.values() if h.kind == "recorder"]
    assert {v["recorder__segment_seconds"] for v in recorders} == {4747}
    assert state.gateway["segment_seconds"] == 4747


@pytest.mark.parametrize("value", [0, -5, "20", True])
def test_a_wrong_segment_length_option_is_refused(tmp_path, value):
    from vigie.options import OptionsError, parse_options

    with pytest.raises(OptionsError, match="segment_seconds"):
        parse_options({"path": ".", "segment_seconds": value}, tmp_path / "vigie.yml")


def test_a_hand_over_breaking_the_service_s_schema_is_refused(pilot):
    _inv, state = pilot
    from vigie.desired.gateway import GatewayHandOver

    key = next(iter(state.gateway["cameras"]))
    broken = {**state.gateway, "live_path": "live"}
    broken["cameras"] = {**broken["cameras"], key: {**broken["cameras"][key], "port": 1}}
    with pytest.raises(HandOverError) as exc:
        schemas.validate(GatewayHandOver, "access_gateway__handover", broken)
    assert "live_path" in str(exc.value) and f"cameras.{key}.port" in str(exc.value)


def test_alarm_feeds_open_only_the_cameras_a_trimmed_deployment_keeps():
    """A lab keeps a few cameras per site: an alarm source's feed names those only."""
    import dataclasses

    from vigie.desired.gateway import GatewayHandOver
    from vigie.options import read_options

    options = read_options(PILOT.parent / "production" / "vigie.yml")
    trimmed = dataclasses.replace(options, max_cameras_per_site=1)
    inv = load_inventory(options.data_dir, today=TODAY)
    full = GatewayHandOver.model_validate(DesiredState.build(inv, options).gateway)
    doc = GatewayHandOver.model_validate(DesiredState.build(inv, trimmed).gateway)
    assert full.alarm_feeds and len(doc.cameras) < len(full.cameras)
    kept = {(c.site, c.camera) for c in doc.cameras.values()}
    assert all((f.site, c) in kept for f in doc.alarm_feeds for c in f.cameras)
