"""Enforcement by behaviour: each role consumer, rendered for every host, carries the model's value.

For each check, a mutation of the role (a copy in tmp_path whose template
hard-codes a value or drops the variable) must make the same check fail:
the check can fail, and fails for the right reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.contract import contract_checks as checks
from tests.contract.contract_hosts import INVENTORIES, ROLES, inventory

# check -> (group its hosts are in, role, template, text, mutated text)
CHECKS = {
    "retention": (
        "recorders",
        "recorder",
        checks.CAMERAS_JSON,
        '"cameras": recorder__cameras\n',
        "\"cameras\": recorder__cameras | map('combine', {'retention_days': 30})\n",
    ),
    "privacy_masks": (
        "recorders",
        "recorder",
        checks.CAMERA_JSON,
        "item.privacy_masks | default([], true)",
        "[]",
    ),
    "recording": (
        "recorders",
        "recorder",
        checks.CAMERA_JSON,
        'item.recording | default({"mode": "always"}, true)',
        '{"mode": "always"}',
    ),
    "stream": (
        "recorders",
        "recorder",
        checks.CAMERA_JSON,
        '"fps": item.fps | default(none)',
        '"fps": 25',
    ),
    "credential": (
        "recorders",
        "recorder",
        checks.CREDENTIAL_JSON,
        "if item.credential | default(none) else none",
        "if false else none",
    ),
    "automation_controller": (
        "gateways",
        "firewall",
        checks.NFTABLES,
        "render_rules(firewall__forward_rules)",
        "render_rules([])",
    ),
}


@pytest.mark.parametrize("name", sorted(INVENTORIES))
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_the_rendered_consumer_carries_the_model_s_value(check, name):
    inv = inventory(name)
    hosts = inv.groups[CHECKS[check][0]]
    assert hosts
    assert [p for host in hosts for p in getattr(checks, check)(inv, host)] == []


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    roles = tmp_path_factory.mktemp("pristine") / "roles"
    shutil.copytree(ROLES, roles, ignore=shutil.ignore_patterns("molecule"))
    return roles


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_a_role_that_ignores_the_value_fails_the_check(check, pristine, tmp_path):
    group, role, template, text, mutated = CHECKS[check]
    roles = tmp_path / "roles"
    shutil.copytree(pristine, roles)
    path = roles / role / "templates" / template
    source = path.read_text(encoding="utf-8")
    assert text in source, f"the mutation of {check} no longer applies to {template}"
    path.write_text(source.replace(text, mutated), encoding="utf-8")
    inv = inventory("pilot")
    run = getattr(checks, check)
    # Mutated, the check fails on some host, where the unmutated copy passes.
    failing = next((host for host in inv.groups[group] if run(inv, host, roles)), None)
    assert failing, f"no host fails {check} with the mutated {role} role"
    assert run(inv, failing, pristine) == []
