"""The detector fleet's invariants as Pulumi policies (pulumi-policy).

The same invariants the unit tests check under mocks, enforced on every
``pulumi preview/up --policy-pack pulumi/policy``. Validation functions are
plain functions so the tests call them directly with constructed arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/image:Image"
CONFIG_DIR = "/etc/vigie-detector"
RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}
# Capabilities that would let a container escape or watch the host.
FORBIDDEN_CAPS = {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH"}


def _labels(props: Mapping[str, Any]) -> dict[str, str]:
    return {item["label"]: item["value"] for item in props.get("labels") or []}


def validate_never_privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    props = args.props
    if props.get("privileged"):
        report(f"{args.name}: containers are never privileged", None)
    added = set((props.get("capabilities") or {}).get("adds") or [])
    if added & FORBIDDEN_CAPS:
        report(f"{args.name}: forbidden capabilities {sorted(added & FORBIDDEN_CAPS)}", None)
    if props.get("networkMode") == "host" or props.get("pidMode") == "host":
        report(f"{args.name}: no host network or PID namespace", None)


def validate_detector_hardened(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Every running detector container: limits, read-only root, restart, healthcheck."""
    if args.resource_type != CONTAINER or "vigie.shard" not in _labels(args.props):
        return
    props, name = args.props, args.name
    if "ALL" not in ((props.get("capabilities") or {}).get("drops") or []):
        report(f"{name}: every capability must be dropped (capabilities.drops=[ALL])", None)
    if "no-new-privileges:true" not in (props.get("securityOpts") or []):
        report(f"{name}: no-new-privileges is required", None)
    if props.get("readOnly") is not True:
        report(f"{name}: the root filesystem must be read-only (read_only=True)", None)
    if not props.get("memory"):
        report(f"{name}: a memory limit is required", None)
    if not props.get("cpus") and not props.get("cpuQuota"):
        report(f"{name}: a CPU limit is required (cpus)", None)
    if props.get("restart") not in RESTART_POLICIES:
        report(f"{name}: restart policy must be one of {sorted(RESTART_POLICIES)}", None)
    if not (props.get("healthcheck") or {}).get("tests"):
        report(f"{name}: a healthcheck is required", None)
    config_mounts = [m for m in props.get("mounts") or [] if m.get("target") == CONFIG_DIR]
    if not config_mounts or any(m.get("readOnly") is not True for m in config_mounts):
        report(f"{name}: the configuration must be mounted read-only at {CONFIG_DIR}", None)


def validate_image_from_repo(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != IMAGE:
        return
    build = args.props.get("build") or {}
    context = Path(build.get("context") or "")
    if context.name != "detector_image":
        report(
            f"{args.name}: the detector image is built from the repository's detector_image/", None
        )
    if args.props.get("skipPush") is not True:
        report(f"{args.name}: the detector image is built where it runs and never pushed", None)


def lawful_checker(inventory_path: str) -> Callable[[str], str | None]:
    """camera key "site/camera" -> None when detection is lawful there, else the reason."""
    # A data directory or a vigie.yml, read by the same parser as the plugin's and
    # the program's; the verdict comes from the model's rule, not from the fleet plan.
    from vigie.loader import load_inventory
    from vigie.options import read_options
    from vigie.rules import lawful_detection

    inventory = load_inventory(read_options(Path(inventory_path)).data_dir)
    verdicts: dict[str, str | None] = {}
    for cam in inventory.cameras():
        site = inventory.sites[cam.site_id]
        key = f"{cam.site_id}/{cam.id}"
        if cam.detection is None:
            verdicts[key] = "no detection is declared for this camera"
        elif not lawful_detection(cam, site):
            verdicts[key] = "detection is not lawful on this camera (LEGAL-DETECTION-PUBLIC-ROAD)"
        else:
            verdicts[key] = None
    return lambda key: verdicts.get(key, "camera unknown to the inventory")


def validate_lawful_cameras(args: StackValidationArgs, report: ReportViolation) -> None:
    """No detector container watches a camera where detection is not lawful."""
    inventory = args.get_config().get("inventory")
    if not inventory:
        report("policy config 'inventory' (path of the stack's inventory) is required", None)
        return
    verdict = lawful_checker(inventory)
    seen: dict[str, str] = {}
    for res in args.resources:
        if res.resource_type != CONTAINER:
            continue
        cameras = _labels(res.props).get("vigie.cameras", "")
        for key in filter(None, cameras.split(",")):
            reason = verdict(key)
            if reason:
                report(f"{res.name} watches {key}: {reason}", res.urn)
            if key in seen and seen[key] != res.name:
                report(f"{key} is watched by both {seen[key]} and {res.name}", res.urn)
            seen[key] = res.name


POLICIES = [
    ResourceValidationPolicy(
        name="never-privileged",
        description="No container is privileged, gets dangerous capabilities or host namespaces.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_never_privileged,
    ),
    ResourceValidationPolicy(
        name="detector-hardened",
        description="Detector containers: CPU/memory limits, read-only root, restart, healthcheck, "
        "configuration mounted read-only.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_detector_hardened,
    ),
    ResourceValidationPolicy(
        name="image-from-repo",
        description="The detector image is built from detector_image/ and not pushed.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_image_from_repo,
    ),
    StackValidationPolicy(
        name="lawful-cameras-only",
        description="Detectors only watch cameras where detection is lawful (never the public "
        "road: CNIL, Conseil constitutionnel 2025-878 DC), each camera in one shard.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_lawful_cameras,
        config_schema=PolicyConfigSchema(
            properties={"inventory": {"type": "string"}}, required=["inventory"]
        ),
    ),
]
