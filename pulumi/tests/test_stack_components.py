"""DetectorHost and DetectorImage under Pulumi mocks, on a hand-made fleet plan."""

import hashlib

import pytest
from vigie_stack.config import REPO_ROOT, ContainerLimits
from vigie_stack.detector_config import CONFIG_DIR, CONFIG_FILE, SNAPSHOTS_DIR
from vigie_stack.host import DetectorHost
from vigie_stack.mocked_run import is_secret, reveal, run_under_mocks

import pulumi
from vigie.desired import SNAPSHOTS_HOST_PATH
from vigie.fleet import CameraRef, DetectorHostRef, plan_shards

CONTAINER = "docker:index/container:Container"


@pytest.fixture(scope="module")
def recorded():
    cameras = [CameraRef("a", f"c{i}") for i in range(5)] + [CameraRef("b", "c0")]
    fleet = plan_shards(cameras, [DetectorHostRef("a-det1", "a", cores=2)], cameras_per_core=3)

    def program():
        [host_plan] = fleet.hosts
        DetectorHost(
            "a-det1",
            host_plan,
            docker_host="ssh://root@10.0.0.5",
            ssh_opts=["-i", "/k"],
            image_name="vigie/detector:test",
            limits=ContainerLimits(cpus=1.0, memory_mb=384),
            configs={s.index: pulumi.Output.secret(f"shard {s.index}") for s in host_plan.shards},
        )

    return run_under_mocks({}, [], "unit", program)


def detectors(recorded):
    return [r for r in recorded.of_type(CONTAINER) if r.inputs.get("start", True)]


def test_one_detector_container_per_shard_named_by_shard(recorded):
    names = sorted(r.inputs["name"] for r in detectors(recorded))
    assert names == ["vigie-detector-0", "vigie-detector-1"]


def test_containers_are_limited_read_only_unprivileged_and_restarted(recorded):
    for r in detectors(recorded):
        i = r.inputs
        assert i.get("privileged") is False
        assert i["readOnly"] is True
        assert i["restart"] == "unless-stopped"
        assert float(i["cpus"]) == 1.0 and i["memory"] == 384
        assert i["healthcheck"]["tests"][0] == "CMD"
        config_mount = [m for m in i["mounts"] if m["target"] == CONFIG_DIR]
        assert [m.get("readOnly") for m in config_mount] == [True]
        # The only writable places: the container's snapshots folder on the host
        # (the one roles/detector_host serves to the access gateway) and a small /tmp.
        writable = [m for m in i["mounts"] if not m.get("readOnly")]
        assert [m["target"] for m in writable] == [SNAPSHOTS_DIR]
        assert writable[0]["type"] == "bind"
        assert writable[0]["source"] == f"{SNAPSHOTS_HOST_PATH}/{i['name']}"
        assert set(i["tmpfs"]) == {"/tmp"}


def test_config_is_uploaded_as_a_secret_and_never_started(recorded):
    writers = [r for r in recorded.of_type(CONTAINER) if r.inputs.get("start") is False]
    assert len(writers) == 2
    for w in writers:
        assert is_secret(w.inputs["uploads"])
        files = {u["file"]: u["content"] for u in reveal(w.inputs["uploads"])}
        shard = w.inputs["name"].removeprefix("vigie-detector-").removesuffix("-config")
        # The configuration only: no MQTT password file (client certificate only).
        assert files == {CONFIG_FILE: f"shard {shard}"}


def test_a_new_configuration_gives_a_new_digest_label(recorded):
    """The label is the configuration's hash: a changed file replaces the container."""
    digests = {}
    for r in detectors(recorded):
        labels = {i["label"]: i["value"] for i in reveal(r.inputs["labels"])}
        shard = r.inputs["name"].removeprefix("vigie-detector-")
        expected = hashlib.sha256(f"shard {shard}".encode()).hexdigest()[:16]
        assert labels["vigie.config-sha256"] == expected
        digests[shard] = expected
    assert len(set(digests.values())) == len(digests) == 2


def test_provider_points_at_the_host_over_ssh(recorded):
    [provider] = recorded.of_type("pulumi:providers:docker")
    assert provider.inputs["host"] == "ssh://root@10.0.0.5"
    for r in recorded.of_type(CONTAINER) + recorded.of_type("docker:index/network:Network"):
        assert r.provider and r.provider.startswith(provider.inputs.get("urn", "urn:")), r.name


def test_image_is_built_from_the_repository_and_not_pushed(recorded):
    [image] = recorded.of_type("docker:index/image:Image")
    assert image.inputs["build"]["context"] == str(REPO_ROOT / "detector_image")
    assert image.inputs["skipPush"] is True


def test_camera_credentials_go_into_the_url_escaped():
    from vigie_stack.detector_config import camera_entry

    cam = {"id": "c1", "site": "a", "url": "rtsp://10.0.0.20:554/stream1", "credential": "cred-a"}
    entry = camera_entry(cam, {"cred-a": {"username": "u", "password": "p@ss:w/rd"}})
    assert entry["url"] == "rtsp://u:p%40ss%3Aw%2Frd@10.0.0.20:554/stream1"
    assert "credential" not in entry  # the detector's schema has no such key
    with pytest.raises(ValueError, match="cred-a"):
        camera_entry(cam, {})
    anonymous = {"id": "c2", "site": "a", "url": "rtsp://10.0.0.21:554/s", "credential": None}
    assert camera_entry(anonymous, {})["url"] == "rtsp://10.0.0.21:554/s"
