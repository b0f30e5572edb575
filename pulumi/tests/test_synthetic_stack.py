"""The stack for a synthetic département (`vigie generate`), under Pulumi mocks."""

import subprocess
import sys
from pathlib import Path

import pytest
from pulumi_stack_harness import run_stack, with_central
from vigie_stack.detector_config import credential_name
from vigie_stack.mocked_run import reveal

import pulumi
from vigie.loader import load_inventory

CONTAINER = "docker:index/container:Container"
CAMERAS_PER_CORE = 4
CORES = 4  # the model's default per detector host: the busiest synthetic site has 13


@pytest.fixture(scope="module")
def departement(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic") / "inventory"
    vigie = Path(sys.executable).with_name("vigie")
    subprocess.run(
        [str(vigie), "generate", str(out), "--cameras", "4000", "--seed", "78"], check=True
    )
    return with_central(out)


def entry_point(departement: Path, cameras_per_core: int) -> str:
    """A vigie.yml over the generated data, as the lab's trims the pilot."""
    path = departement.parent / f"vigie-{cameras_per_core}" / "vigie.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"plugin: vigie\npath: {departement}\ncameras_per_core: {cameras_per_core}\n")
    return str(path)


@pytest.fixture(scope="module")
def inventory(departement):
    return load_inventory(departement)


@pytest.fixture(scope="module")
def recorded(departement, inventory):
    names = {credential_name(c, inventory.sites[c.site_id]) for c in inventory.cameras()}
    creds = {n: {"username": "u", "password": "p"} for n in names}
    return run_stack(
        "production",
        creds,
        inventory=entry_point(departement, CAMERAS_PER_CORE),
    )


def watched(res):
    labels = {i["label"]: i["value"] for i in reveal(res.inputs["labels"])}
    return labels["vigie.host"], labels["vigie.cameras"].split(",")


def test_the_whole_departement_is_covered_lawfully(recorded, inventory):
    detectors = [r for r in recorded.of_type(CONTAINER) if r.inputs.get("start", True)]
    pairs = [watched(r) for r in detectors]
    cams = sorted(c for _, cs in pairs for c in cs)
    expected = sorted(
        f"{c.site_id}/{c.id}"
        for c in inventory.cameras()
        if c.detection is not None and not c.films_public_road
    )
    assert len(expected) > 100  # a real fleet, not a toy
    assert cams == expected
    assert all(len(cs) <= CAMERAS_PER_CORE for _, cs in pairs)
    per_host: dict[str, int] = {}
    for host, _ in pairs:
        per_host[host] = per_host.get(host, 0) + 1
    assert max(per_host.values()) <= CORES  # never more containers than cores
    providers = recorded.of_type("pulumi:providers:docker")
    assert len(providers) == sum(len(s.detector_hosts) for s in inventory.sites.values())
    for r in detectors:
        i = reveal(r.inputs)
        assert i["privileged"] is False and i["readOnly"] is True and i["memory"] > 0


def test_overflow_stops_the_program_with_the_rule_and_no_traceback(departement, inventory):
    with pytest.raises(pulumi.RunError) as err:
        run_stack("production", {}, inventory=entry_point(departement, 1))
    lines = str(err.value).splitlines()
    assert lines and all(": FLEET-CAPACITY: site " in line for line in lines)
