"""The committed pilot stack (Pulumi.pilot.yaml, as written) under Pulumi mocks.

Only the secrets are the tests' own (the real ones need the stack passphrase).
"""

import math

import pytest
import yaml
from pulumi_policy import PolicyResource, PolicyResourceOptions, StackValidationArgs
from pulumi_stack_harness import TEST_CAMERA_PASSWORD, plain_parts, run_stack
from test_policy_pack import violations, vp
from vigie_detector.config import DetectorConfig
from vigie_stack.config import REPO_ROOT
from vigie_stack.detector_config import CONFIG_FILE, credential_name
from vigie_stack.mocked_run import reveal

from vigie.desired import MQTT_TLS_PORT
from vigie.loader import load_inventory

INVENTORY = REPO_ROOT / "inventories" / "pilot"
CONTAINER = "docker:index/container:Container"


@pytest.fixture(scope="module")
def inventory():
    return load_inventory(INVENTORY)


@pytest.fixture(scope="module")
def cameras_per_core(inventory):
    return inventory.departement.detection_capacity.cameras_per_core


@pytest.fixture(scope="module")
def credentials(inventory):
    names = {credential_name(c, inventory.sites[c.site_id]) for c in inventory.cameras()}
    return {n: {"username": "viewer", "password": TEST_CAMERA_PASSWORD} for n in names}


@pytest.fixture(scope="module")
def recorded(credentials):
    return run_stack("pilot", credentials)


def detectors(recorded):
    return [r for r in recorded.of_type(CONTAINER) if r.inputs.get("start", True)]


def labels(res):
    return {item["label"]: item["value"] for item in reveal(res.inputs["labels"])}


def watched(res):
    return labels(res)["vigie.cameras"].split(",")


def lawful_cameras(inventory):
    """Computed here from the inventory's fields, independently of vigie.fleet."""
    return {
        f"{c.site_id}/{c.id}"
        for c in inventory.cameras()
        if c.detection is not None and not c.films_public_road
    }


def test_every_lawful_camera_is_watched_exactly_once(recorded, inventory):
    all_watched = [cam for r in detectors(recorded) for cam in watched(r)]
    assert sorted(all_watched) == sorted(lawful_cameras(inventory))
    assert lawful_cameras(inventory), "the pilot has cameras to analyse"


def test_no_camera_filming_the_public_road_is_analysed(recorded, inventory):
    road = {f"{c.site_id}/{c.id}" for c in inventory.cameras() if c.films_public_road}
    assert road, "the pilot has public-road cameras"
    for r in detectors(recorded):
        assert not road & set(watched(r)), r.name


def test_shards_respect_capacity_and_count(recorded, inventory, cameras_per_core):
    per_host: dict[str, int] = {}
    for r in detectors(recorded):
        assert 1 <= len(watched(r)) <= cameras_per_core
        host = labels(r)["vigie.host"]
        per_host[host] = per_host.get(host, 0) + len(watched(r))
    hosts = {f"{s.id}-det{h.id}" for s in inventory.sites.values() for h in s.detector_hosts}
    assert set(per_host) <= hosts
    # Whole sites are kept together, so at most one shard more than the minimum per site.
    minimum = sum(math.ceil(n / cameras_per_core) for n in per_host.values())
    assert minimum <= len(detectors(recorded)) <= minimum + len(inventory.sites)


def test_a_site_with_few_cameras_is_not_split(recorded, cameras_per_core):
    shards_of_site: dict[str, set[str]] = {}
    for r in detectors(recorded):
        for cam in watched(r):
            shards_of_site.setdefault(cam.split("/")[0], set()).add(r.name)
    for site, shards in shards_of_site.items():
        count = sum(len(watched(r)) for r in detectors(recorded) if r.name in shards)
        assert len(shards) <= math.ceil(count / cameras_per_core) + 1, site


def test_every_container_is_hardened_and_unprivileged(recorded):
    for r in recorded.of_type(CONTAINER):
        props = reveal(r.inputs)
        assert violations(vp.validate_never_privileged, CONTAINER, props, r.name) == []
        assert violations(vp.validate_detector_hardened, CONTAINER, props, r.name) == []
    assert all(reveal(r.inputs)["readOnly"] for r in detectors(recorded))


def test_secrets_never_appear_outside_a_secret(recorded):
    for r in recorded.resources:
        for text in plain_parts(r.inputs):
            assert TEST_CAMERA_PASSWORD not in text, r.name


def test_each_config_is_valid_for_the_detector_and_matches_its_shard(recorded, inventory):
    credential_names = {
        f"{c.site_id}/{c.id}": credential_name(c, inventory.sites[c.site_id])
        for c in inventory.cameras()
    }
    writers = {
        (r.provider, r.inputs["name"]): r
        for r in recorded.of_type(CONTAINER)
        if r.inputs.get("start") is False
    }
    for r in detectors(recorded):
        writer = writers[(r.provider, r.inputs["name"] + "-config")]
        files = {u["file"]: u["content"] for u in reveal(writer.inputs["uploads"])}
        config = DetectorConfig.model_validate(yaml.safe_load(files[CONFIG_FILE]))
        assert sorted(f"{c.site}/{c.id}" for c in config.cameras) == sorted(watched(r))
        for cam in config.cameras:
            named = credential_names.get(f"{cam.site}/{cam.id}")
            assert (f"viewer:{TEST_CAMERA_PASSWORD}@" in cam.url) == bool(named), cam.id


def test_image_is_built_from_the_repository_on_each_host(recorded, inventory):
    images = recorded.of_type("docker:index/image:Image")
    assert len(images) == len(recorded.of_type("pulumi:providers:docker"))
    for image in images:
        assert violations(vp.validate_image_from_repo, image.type, image.inputs) == []


def test_the_policy_pack_accepts_the_stack(recorded):
    opts = PolicyResourceOptions(False, [], None, [], None, [], None)
    resources = [
        PolicyResource(r.type, reveal(r.inputs), f"urn:{r.name}", r.name, opts, None, None, [], {})
        for r in recorded.resources
    ]
    found = []
    vp.validate_lawful_cameras(
        StackValidationArgs(resources, config={"inventory": str(INVENTORY)}),
        lambda message, urn=None: found.append(message),
    )
    assert found == []
    # ... and refuses it once a public-road camera is slipped into a shard.
    road = next(c for c in load_inventory(INVENTORY).cameras() if c.films_public_road)
    bad = resources[:]
    victim = next(
        p
        for p in bad
        if p.resource_type == CONTAINER
        and "labels" in p.props
        and any(item["label"] == "vigie.cameras" for item in p.props["labels"])
    )
    for item in victim.props["labels"]:
        if item["label"] == "vigie.cameras":
            item["value"] += f",{road.site_id}/{road.id}"
    vp.validate_lawful_cameras(
        StackValidationArgs(bad, config={"inventory": str(INVENTORY)}),
        lambda message, urn=None: found.append(message),
    )
    # A road camera never has a lawful detection in a valid inventory (the model
    # refuses it), so the policy reports it as a camera that must not be watched.
    assert found == [
        f"{victim.name} watches {road.site_id}/{road.id}: no detection is declared for this camera"
    ]


def test_detector_bridge_is_the_one_the_detector_host_firewall_opens(recorded):
    """The detector_host role's exported forward rules match the detectors' bridge
    by name: the stack must give the bridge that exact name, or the host's
    default-deny firewall drops every RTSP and MQTT flow of the detectors."""
    defaults = yaml.safe_load(
        (REPO_ROOT / "roles" / "detector_host" / "defaults" / "main.yml").read_text()
    )
    networks = recorded.of_type("docker:index/network:Network")
    assert networks
    for network in networks:
        options = network.inputs.get("options") or {}
        assert options.get("com.docker.network.bridge.name") == defaults["detector_host__bridge"]


def test_detectors_read_the_substream_and_keep_snapshots_for_the_camera_s_retention(
    recorded, inventory
):
    """Each camera's configuration: the model's analysis substream (not the recorded main
    stream) and its own retention for snapshots (CSI L252-5), from the inventory's fields."""
    cams = {f"{c.site_id}/{c.id}": c for c in inventory.cameras()}
    streams = {m.id: m.analysis_stream for m in inventory.departement.camera_models}
    writers = [r for r in recorded.of_type(CONTAINER) if r.inputs.get("start") is False]
    seen = 0
    for writer in writers:
        files = {u["file"]: u["content"] for u in reveal(writer.inputs["uploads"])}
        for cam in yaml.safe_load(files[CONFIG_FILE])["cameras"]:
            model = cams[f"{cam['site']}/{cam['id']}"]
            expected = model.analysis_stream or streams[model.model]
            assert cam["analysis_stream"]["rtsp_url"].endswith(f":554{expected.path}")
            assert cam["analysis_stream"]["resolution"] == expected.resolution
            assert cam["analysis_stream"]["fps"] == expected.fps
            assert cam["snapshot_retention_days"] == model.retention_days
            seen += 1
    assert seen == len(lawful_cameras(inventory))


def test_each_container_uses_its_host_s_client_certificate_read_only(recorded, inventory):
    """TLS with a client certificate: the host's identity is the broker
    user whose ACL (vigie.central) lists this container's cameras and health topic;
    the key is a read-only bind mount, never uploaded nor in the configuration."""
    from vigie_stack.detector_config import CERT_FILE, KEY_FILE, TLS_DIR

    from vigie.central import broker_users

    acl = {u.name: set(u.write) for u in broker_users(inventory)}
    writers = {
        (r.provider, r.inputs["name"]): r
        for r in recorded.of_type(CONTAINER)
        if r.inputs.get("start") is False
    }
    for r in detectors(recorded):
        mounts = [m for m in reveal(r.inputs["mounts"]) if m["target"] == TLS_DIR]
        assert mounts == [
            {
                "type": "bind",
                "source": "/etc/vigie-detector/tls",
                "target": TLS_DIR,
                "readOnly": True,
            }
        ], r.name
        writer = writers[(r.provider, r.inputs["name"] + "-config")]
        files = {u["file"]: u["content"] for u in reveal(writer.inputs["uploads"])}
        assert not any("PRIVATE KEY" in text for text in files.values())
        config = DetectorConfig.model_validate(yaml.safe_load(files[CONFIG_FILE]))
        m = config.mqtt
        # The model's broker: its first central host, on the model's MQTT port.
        broker = (inventory.departement.central[0].address, MQTT_TLS_PORT)
        assert (m.host, m.port) == broker
        assert (m.cert_file, m.key_file) == (CERT_FILE, KEY_FILE)
        allowed = acl[labels(r)["vigie.host"]]
        assert f"vigie/detectors/{m.client_id}/health" in allowed
        assert {f"vigie/{c.site}/{c.id}/events" for c in config.cameras} <= allowed
