"""One answer to "which detector host analyses which camera".

A site with two detector hosts: the inventory plugin's host variables (read
through the real `ansible-inventory`) and the containers the Pulumi program
declares (under mocks) name the same cameras on the same hosts, because both
serialise `vigie.desired.DesiredState`. Before, the plugin put every camera
without `detector_host` on det1 while the fleet plan spread them.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi_stack_harness import run_stack, with_central
from vigie_stack.config import REPO_ROOT
from vigie_stack.mocked_run import reveal

BASE = REPO_ROOT / "tests" / "inventory" / "data" / "base"
BIN = Path(sys.executable).parent
MQTT = {"username": "u", "ca_file": "inventories/pilot/pki/mqtt-ca.crt"}
COLLEGE = """sites:
  - id: college
    name: Collège de test
    kind: college
    insee: "78646"
    authorisation: AP-TEST
    uplink: pop-a
    opening_hours: Mo-Fr 08:00-18:00
    camera_defaults: {retention_days: 7, detection: {classes: [intrusion, tamper]}}
    recorders: [{id: 1, disk_gb: 2000}]
    detector_hosts: [{id: 1, cores: 1}, {id: 2, cores: 2}]
    transmissions: [{agency: pn, decision: AP-TEST}]
    cameras:
"""


def unsafe(value):
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    if isinstance(value, list):
        return [unsafe(v) for v in value]
    return value


@pytest.fixture(scope="module")
def entry_point(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-hosts")
    data = root / "data"
    shutil.copytree(BASE, data)
    with_central(data)
    cams = "".join(f"      - {{id: hall-{i}, area: hall}}\n" for i in range(7))
    (data / "sites" / "college.yml").write_text(COLLEGE + cams)
    (data / "netplan.lock.yml").unlink()
    subprocess.run([str(BIN / "vigie"), "lock", str(data)], check=True, capture_output=True)
    (root / "vigie.yml").write_text("plugin: vigie\npath: data\ncameras_per_core: 3\n")
    return root


def plugin_answer(entry_point: Path) -> dict[str, list[str]]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(entry_point / "vigie.yml"), "--list"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    hostvars = json.loads(out)["_meta"]["hostvars"]
    return {
        host: sorted(unsafe(cam) for d in hv["vigie_detectors"] for cam in unsafe(d["cameras"]))
        for host, hv in hostvars.items()
        if hv.get("vigie_detectors")
    }


def stack_answer(entry_point: Path) -> dict[str, list[str]]:
    recorded = run_stack(
        "pilot",
        {"vault_camera_college": {"username": "u", "password": "p"}},
        inventory=str(entry_point),
        mqtt=MQTT,
    )
    out: dict[str, list[str]] = {}
    for r in recorded.of_type("docker:index/container:Container"):
        if r.inputs.get("start", True):
            labels = {i["label"]: i["value"] for i in reveal(r.inputs["labels"])}
            out.setdefault(labels["vigie.host"], []).extend(labels["vigie.cameras"].split(","))
    return {h: sorted(c) for h, c in out.items()}


def test_plugin_and_stack_give_the_same_hosts_the_same_cameras(entry_point):
    plugin, stack = plugin_answer(entry_point), stack_answer(entry_point)
    assert plugin == stack
    # 7 cameras, 3 per core: det1 (1 core) cannot take them all, both hosts work.
    assert set(plugin) == {"college-det1", "college-det2"}
    assert sorted(c for cams in plugin.values() for c in cams) == [
        f"college/hall-{i}" for i in range(7)
    ]
    assert len(plugin["college-det1"]) <= 3 and len(plugin["college-det2"]) <= 6
