"""The lab path without the Pulumi CLI: recorded inputs become the same Docker settings."""

import pytest
from vigie_stack.config import ContainerLimits
from vigie_stack.detector_config import CONFIG_DIR
from vigie_stack.host import DetectorHost
from vigie_stack.mocked_run import run_under_mocks

import pulumi
from lab.detectors.replay import container_kwargs
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
            docker_host="ssh://vigie-deploy@10.0.0.5",
            ssh_opts=["-i", "/k"],
            image_name="vigie/detector:test",
            limits=ContainerLimits(cpus=1.0, memory_mb=384),
            configs={s.index: pulumi.Output.secret(f"shard {s.index}") for s in host_plan.shards},
        )

    return run_under_mocks({}, [], "unit", program)


def detectors(recorded):
    return [r for r in recorded.of_type(CONTAINER) if r.inputs.get("start", True)]


def test_replay_translates_recorded_inputs_into_the_same_docker_settings(recorded):
    [detector, *_] = detectors(recorded)
    kwargs = container_kwargs(detector.inputs)
    assert kwargs["read_only"] is True and kwargs["privileged"] is False
    assert kwargs["cap_drop"] == ["ALL"] and kwargs["security_opt"] == ["no-new-privileges:true"]
    assert kwargs["nano_cpus"] == 1_000_000_000
    assert kwargs["mem_limit"] == "384m" and kwargs["memswap_limit"] == "384m"
    assert kwargs["restart_policy"] == {"Name": "unless-stopped"}
    assert kwargs["healthcheck"]["interval"] == 30 * 10**9
    assert kwargs["healthcheck"]["retries"] == 3
    config = [m for m in kwargs["mounts"] if m["Target"] == CONFIG_DIR]
    assert [m["ReadOnly"] for m in config] == [True]
    assert kwargs["network"] == "vigie-detectors"
