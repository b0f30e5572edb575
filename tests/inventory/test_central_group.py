"""The `central` group: the datacenter hosts of the CA, broker and access gateway
(`departement.central`), with the roles' inputs computed by the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.inventory.inventories import PILOT, REPO, TODAY
from vigie.central import central_inputs
from vigie.desired import DesiredState
from vigie.loader import load_inventory
from vigie.options import read_options

BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}


def host_vars(source: Path, host: str) -> dict:
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(source), "--host", host],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def pilot():
    return load_inventory(PILOT, today=TODAY)


def test_the_departement_s_central_hosts_form_the_central_group(pilot):
    state = DesiredState.build(pilot)
    want = {f"vigie-central{h.id}": h.address for h in pilot.departement.central}
    assert want, "the pilot declares its central host"
    assert state.groups()["central"] == sorted(want)
    for name, address in want.items():
        assert state.hosts[name].vars["ansible_host"] == address
        assert state.hosts[name].groups == ("central",)


def test_the_plugin_gives_the_roles_their_inputs_from_the_same_fleet():
    """Lab options (a few sites, small shards): the ACL the broker gets names the
    containers the lab stack deploys, not a re-computation with other options."""
    lab = REPO / "inventories" / "lab"
    options = read_options(lab / "vigie.yml")
    state = DesiredState.build(load_inventory(options.data_dir), options)
    given = host_vars(lab, "vigie-central1")
    expected = central_inputs(state.inventory, state.fleet)
    assert given["broker__acl"] == expected["acl"]
    assert given["pki__identities"] == expected["identities"]
    for shard in state.fleet.shards:
        assert f"vigie/detectors/{shard.host}-{shard.container_name}/health" in given["broker__acl"]
    kinds = {i["kind"] for i in given["pki__identities"]}
    assert {"detector", "agency", "recorder", "service"} <= kinds


def test_the_roles_accept_the_inputs_and_central_yml_targets_the_host():
    specs = yaml.safe_load((REPO / "roles/pki/meta/argument_specs.yml").read_text())
    assert "pki__identities" in specs["argument_specs"]["main"]["options"]
    specs = yaml.safe_load((REPO / "roles/broker/meta/argument_specs.yml").read_text())
    assert "broker__acl" in specs["argument_specs"]["main"]["options"]
    out = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(PILOT), "playbooks/central.yml", "--list-hosts"],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "hosts (1):" in out.stdout and "vigie-central1" in out.stdout
