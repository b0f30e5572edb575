"""A host's variables against a role's `meta/argument_specs.yml`, with Ansible's validator.

What Ansible does at the start of a role (the `validate_argument_spec` action):
the variables the spec declares are templated and validated. Ansible ignores a
`<role>__` variable the spec does not declare; here it is an error, since a
typo or a field the role never learnt would otherwise pass silently.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from tests.contract.contract_hosts import ROLES, Application, Inventory, templar

# `<role>__` variables deliberately not declared by the role, and why.
UNDECLARED = {
    "firewall__common_input_rules": "playbooks/group_vars/all/firewall.yml: a sum of role exports "
    "the group files extend, never read by the role",
    "firewall__common_output_rules": "the same, for output rules",
}


@cache
def spec(role_dir: Path) -> dict:
    data = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return data["argument_specs"]["main"]["options"]


def role_of(variable: str, roles: Path = ROLES) -> str | None:
    prefix = variable.split("__", 1)[0]
    return prefix if "__" in variable and (roles / prefix / "meta").is_dir() else None


def validate(inv: Inventory, host: str, app: Application, roles: Path = ROLES) -> list[str]:
    """Ansible's verdict on the role's variables on that host (empty: valid)."""
    options = spec(roles / app.role)
    t = templar(inv, host, app, roles)
    provided = {
        name: t.available_variables[name] for name in options if name in t.available_variables
    }
    result = ArgumentSpecValidator(options).validate(
        t.template(provided), validate_role_argument_spec=True
    )
    return [f"{host} {app.role} ({app.playbook}): {message}" for message in result.error_messages]


def undeclared(hostvars: dict, roles: Path = ROLES) -> list[str]:
    """`<role>__` variables of a host that their role's spec does not declare."""
    found = []
    for name in sorted(hostvars):
        role = role_of(name, roles)
        if role and name not in spec(roles / role) and name not in UNDECLARED:
            found.append(f"{name} (not in roles/{role}/meta/argument_specs.yml)")
    return found
