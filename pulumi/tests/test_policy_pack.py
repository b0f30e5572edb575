"""The policy pack's validate functions, called directly with constructed args."""

import sys

import pytest
from pulumi_policy import PolicyResourceOptions, ResourceValidationArgs
from vigie_stack.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "pulumi" / "policy"))
import vigie_policies as vp

GOOD_DETECTOR = {
    "name": "vigie-detector-0",
    "privileged": False,
    "readOnly": True,
    "capabilities": {"drops": ["ALL"]},
    "securityOpts": ["no-new-privileges:true"],
    "memory": 384,
    "cpus": "1.0",
    "restart": "unless-stopped",
    "healthcheck": {"tests": ["CMD", "python3", "-m", "vigie_detector.health"]},
    "mounts": [{"type": "volume", "target": vp.CONFIG_DIR, "readOnly": True}],
    "labels": [{"label": "vigie.shard", "value": "vigie-detector-0"}],
}


def opts():
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        additional_secret_outputs=[],
        custom_timeouts=None,
        parent=None,
    )


def violations(validate, resource_type, props, name="r"):
    found = []
    args = ResourceValidationArgs(resource_type, props, f"urn:{name}", name, opts(), None)
    validate(args, lambda message, urn=None: found.append(message))
    return found


def test_a_hardened_detector_passes_every_resource_policy():
    for validate in (vp.validate_never_privileged, vp.validate_detector_hardened):
        assert violations(validate, vp.CONTAINER, GOOD_DETECTOR) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"readOnly": False}, "read-only"),
        ({"capabilities": None}, "capability"),
        ({"securityOpts": []}, "no-new-privileges"),
        ({"memory": None}, "memory limit"),
        ({"cpus": None}, "CPU limit"),
        ({"restart": "no"}, "restart policy"),
        ({"healthcheck": None}, "healthcheck"),
        ({"mounts": [{"target": vp.CONFIG_DIR, "readOnly": False}]}, "mounted read-only"),
        ({"mounts": []}, "mounted read-only"),
    ],
)
def test_each_missing_hardening_is_reported(change, expected):
    props = {**GOOD_DETECTOR, **change}
    [message] = violations(vp.validate_detector_hardened, vp.CONTAINER, props)
    assert expected in message


@pytest.mark.parametrize(
    "change",
    [
        {"privileged": True},
        {"capabilities": {"adds": ["SYS_ADMIN"]}},
        {"networkMode": "host"},
    ],
)
def test_privilege_is_refused_on_any_container(change):
    props = {"name": "anything", **change}
    assert violations(vp.validate_never_privileged, vp.CONTAINER, props)


def test_image_must_come_from_detector_image_and_stay_local():
    good = {"build": {"context": str(REPO_ROOT / "detector_image")}, "skipPush": True}
    assert violations(vp.validate_image_from_repo, vp.IMAGE, good) == []
    pushed = {**good, "skipPush": False}
    assert "never pushed" in violations(vp.validate_image_from_repo, vp.IMAGE, pushed)[0]
    elsewhere = {**good, "build": {"context": "/tmp/other"}}
    assert "detector_image" in violations(vp.validate_image_from_repo, vp.IMAGE, elsewhere)[0]


def test_policies_ignore_other_resource_types():
    assert violations(vp.validate_detector_hardened, "docker:index/network:Network", {}) == []
