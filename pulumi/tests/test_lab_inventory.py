"""A trimmed (lab) inventory: the stack analyses what the inventory plugin gives detector hosts."""

import pytest
from pulumi_stack_harness import run_stack
from vigie_stack.config import REPO_ROOT
from vigie_stack.detector_config import credential_name
from vigie_stack.inventory import load_desired_state
from vigie_stack.mocked_run import reveal

from vigie.ansible_view import to_ansible

PILOT = REPO_ROOT / "inventories" / "pilot"
SITES = ["col-rameau-versailles", "hdd-versailles"]
# The lab broker's CA exists only while the lab is up; any CA does under mocks.
MQTT = {"username": "vigie-lab", "ca_file": "inventories/pilot/pki/mqtt-ca.crt"}


@pytest.fixture(scope="module")
def plugin_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("lab") / "vigie.yml"
    path.write_text(
        f"plugin: vigie\npath: {PILOT}\nsites: {SITES}\nmax_cameras_per_site: 3\n"
        "cameras_per_core: 2\n"
    )
    return path


def test_the_committed_lab_entry_point_is_read_by_the_stack():
    state = load_desired_state(REPO_ROOT / "inventories" / "lab")
    # The central services (group `central`) and the journal's witness belong to no site.
    site_hosts = [h for h in state.hosts.values() if h.kind not in ("central", "witness")]
    assert sorted({h.site for h in site_hosts}) == [
        "col-rameau-versailles",
        "hdd-versailles",
    ]
    assert state.fleet.cameras_per_core == 2


def test_lab_stack_declares_the_plugin_view_containers(plugin_file):
    state = load_desired_state(plugin_file)
    view = to_ansible(state)
    names = {
        credential_name(c, state.inventory.sites[c.site_id]) for c in state.inventory.cameras()
    }
    recorded = run_stack(
        "lab",
        {n: {"username": "u", "password": "p"} for n in names},
        inventory=str(plugin_file.parent),
        mqtt=MQTT,
    )
    declared: dict[str, list[str]] = {}
    for r in recorded.of_type("docker:index/container:Container"):
        if not r.inputs.get("start", True):
            continue
        labels = {i["label"]: i["value"] for i in reveal(r.inputs["labels"])}
        declared.setdefault(labels["vigie.host"], []).extend(labels["vigie.cameras"].split(","))
    # What Ansible gives each detector host is exactly what the stack runs there.
    given = {
        host: [cam for d in hv["vigie_detectors"] for cam in d["cameras"]]
        for host, hv in view.hosts.items()
        if hv.get("vigie_detectors")
    }
    assert {h: sorted(c) for h, c in declared.items()} == {h: sorted(c) for h, c in given.items()}
    expected = sorted(
        f"{s.id}/{c.id}"
        for s in state.inventory.sites.values()
        if s.id in SITES
        for c in s.cameras[:3]
        if c.detection and not c.films_public_road
    )
    assert sorted(c for cams in declared.values() for c in cams) == expected
