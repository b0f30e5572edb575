"""Every host's variables validate against its roles' argument_specs.

The roles are those the playbooks apply to the host; the validator is
Ansible's own (ArgumentSpecValidator, as the role's implicit validation task
runs it), on the variables of the real inventory plugin's output for the
pilot, the production inventory and the lab; and no `<role>__` variable the
role does not declare.
"""

from __future__ import annotations

import copy
import shutil

import pytest

from tests.contract.contract_hosts import INVENTORIES, ROLES, applications, inventory
from tests.contract.contract_specs import undeclared, validate


@pytest.mark.parametrize("name", sorted(INVENTORIES))
def test_every_host_validates_against_its_roles_argument_specs(name):
    inv = inventory(name)
    applied = applications(inv)
    errors = [e for host, apps in applied.items() for app in apps for e in validate(inv, host, app)]
    assert errors == []
    # Not vacuous: every site role ran on some host of this inventory.
    roles = {app.role for apps in applied.values() for app in apps}
    assert {"base", "network", "recorder", "detector_host", "monitoring", "firewall"} <= roles


@pytest.mark.parametrize("name", sorted(INVENTORIES))
def test_no_host_has_a_role_variable_its_role_does_not_declare(name):
    inv = inventory(name)
    found = {host: undeclared(hv) for host, hv in inv.hostvars.items() if undeclared(hv)}
    assert found == {}


def _recorder(name="pilot"):
    inv = inventory(name)
    host = inv.groups["recorders"][0]
    app = next(a for a in applications(inv)[host] if a.role == "recorder")
    return inv, host, app


def test_a_wrongly_typed_value_fails_the_validation(monkeypatch):
    inv, host, app = _recorder()
    hostvars = copy.deepcopy(inv.hostvars[host])
    hostvars["recorder__cameras"][0]["retention_days"] = "thirty"
    monkeypatch.setitem(inv.hostvars, host, hostvars)
    assert any("retention_days" in e for e in validate(inv, host, app))


def test_a_field_the_role_does_not_declare_fails_the_validation(tmp_path):
    # The model hands over `retention_days`; a role whose spec forgot it must fail.
    inv, host, app = _recorder()
    roles = tmp_path / "roles"
    shutil.copytree(ROLES, roles, ignore=shutil.ignore_patterns("molecule"))
    spec = roles / "recorder" / "meta" / "argument_specs.yml"
    text = spec.read_text(encoding="utf-8")
    mutated = text.replace(
        "          retention_days:\n            type: int\n            required: true\n", ""
    )
    assert mutated != text
    spec.write_text(mutated, encoding="utf-8")
    assert any("retention_days" in e for e in validate(inv, host, app, roles))


def test_an_undeclared_role_variable_is_reported():
    inv, host, _app = _recorder()
    assert undeclared({**inv.hostvars[host], "recorder__retention_days": 30}) == [
        "recorder__retention_days (not in roles/recorder/meta/argument_specs.yml)"
    ]
