"""A trimmed (lab) inventory: the stack analyses what the Ansible view gives detector hosts."""

import pytest
from pulumi_stack_harness import run_stack
from vigie_stack.config import REPO_ROOT
from vigie_stack.detector_config import credential_name
from vigie_stack.inventory import load_stack_inventory
from vigie_stack.recorder import reveal

from vigie.ansible_view import build_view
from vigie.loader import load_inventory

PILOT = REPO_ROOT / "inventories" / "pilot"
SITES = ["col-rameau-versailles", "hdd-versailles"]


@pytest.fixture(scope="module")
def plugin_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("lab") / "vigie.yml"
    path.write_text(f"plugin: vigie\npath: {PILOT}\nsites: {SITES}\nmax_cameras_per_site: 3\n")
    return path


def test_trimming_matches_the_inventory_plugin_view(plugin_file):
    inventory, network = load_stack_inventory(plugin_file.parent)
    assert sorted(inventory.sites) == SITES
    view = build_view(load_inventory(PILOT), sites=SITES, max_cameras_per_site=3)
    for site in inventory.sites.values():
        for host in site.detector_hosts:
            name = f"{site.id}-det{host.id}"
            expected = {(c["id"], c["address"]) for c in view.hosts[name]["vigie_cameras"]}
            ours = {
                (c.host_name, network.sites[c.site_id].camera_address(c.id))
                for c in site.cameras
                if c.detection is not None
            }
            assert ours == expected, name


def test_lab_stack_declares_containers_for_the_trimmed_cameras_only(plugin_file):
    inventory, _ = load_stack_inventory(plugin_file.parent)
    names = {credential_name(c, inventory.sites[c.site_id]) for c in inventory.cameras()}
    recorded = run_stack(
        "lab",
        {n: {"username": "u", "password": "p"} for n in names},
        inventory=str(plugin_file.parent),
    )
    watched = sorted(
        cam
        for r in recorded.of_type("docker:index/container:Container")
        if r.inputs.get("start", True)
        for item in reveal(r.inputs["labels"])
        if item["label"] == "vigie.cameras"
        for cam in item["value"].split(",")
    )
    expected = sorted(
        f"{c.site_id}/{c.id}"
        for c in inventory.cameras()
        if c.detection and not c.films_public_road
    )
    assert watched == expected and len(expected) <= 3 * len(SITES)
