"""The `witness` group: the audit journal's witnesses (`departement.witnesses`), each
a managed host with roles/witness's inputs computed by the model, and the central
host's nginx told their certificates' names (`access_gateway__witnesses`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.inventory.inventories import PILOT, REPO, TODAY
from tests.inventory.test_central_group import host_vars
from vigie.desired import DesiredState
from vigie.loader import load_inventory

BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}


@pytest.fixture(scope="module")
def pilot():
    return load_inventory(PILOT, today=TODAY)


def test_each_witness_is_a_host_of_the_witness_group_with_the_role_s_inputs(pilot):
    state = DesiredState.build(pilot)
    witnesses = pilot.departement.witnesses
    assert witnesses, "the pilot declares its witness"
    central = min(pilot.departement.central, key=lambda h: h.id)
    assert state.groups()["witness"] == sorted(f"vigie-witness{w.id}" for w in witnesses)
    for w in witnesses:
        host = state.hosts[f"vigie-witness{w.id}"]
        assert host.groups == ("witness",)
        assert host.kind == "witness"
        assert host.vars == {
            "ansible_host": w.address,
            "witness__name": w.name,
            "witness__tls_identity": f"witness-{w.name}",
            "witness__journal_url": f"https://{central.address}/journal/",
            "witness__ca_host": f"vigie-central{central.id}",
        }
    # Not a site host, not central: no site group, no central inputs.
    assert not set(state.groups()["central"]) & set(state.groups()["witness"])


def test_the_central_host_lets_exactly_the_witnesses_certificates_read_the_journal(pilot):
    state = DesiredState.build(pilot)
    witnesses = [h for h in state.hosts.values() if h.kind == "witness"]
    identities = [h.vars["witness__tls_identity"] for h in witnesses]
    given = state.group_vars["central"]["access_gateway__witnesses"]
    assert given == identities == ["witness-dpo-78"]


def test_no_witness_no_journal_reader():
    bare = load_inventory(PILOT, today=TODAY)
    bare.departement.witnesses = []
    state = DesiredState.build(bare)
    assert state.group_vars["central"]["access_gateway__witnesses"] == []
    assert not state.groups().get("witness")


def test_the_plugin_serves_the_witness_and_the_central_host_its_name():
    lab = REPO / "inventories" / "lab"
    witness = host_vars(lab, "vigie-witness1")
    central = host_vars(lab, "vigie-central1")
    assert witness["witness__journal_url"] == f"https://{central['ansible_host']}/journal/"
    assert witness["witness__ca_host"] == "vigie-central1"
    assert central["access_gateway__witnesses"] == [witness["witness__tls_identity"]]


def test_witness_yml_takes_the_model_s_values_and_targets_the_witness():
    """One answer per question: the playbook builds no URL nor picks a central host."""
    play = (REPO / "playbooks" / "witness.yml").read_text()
    assert "groups[" not in play
    for name in ("witness__journal_url", "witness__ca_host", "witness__tls_identity"):
        assert f"{name}:" not in play, f"{name} is the inventory's"
    specs = yaml.safe_load((REPO / "roles/witness/meta/argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert {"witness__name", "witness__journal_url", "witness__ca_host"} <= set(options)
    out = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(PILOT), "playbooks/witness.yml", "--list-hosts"],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "hosts (1):" in out.stdout and "vigie-witness1" in out.stdout
