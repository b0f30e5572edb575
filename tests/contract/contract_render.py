"""A role's template rendered for a host as the `template` action would, and its scripts.

Rendering goes through Ansible's Templar with the host's variables
(contract_hosts): the same filters, the same `item` for looped templates.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from functools import cache
from pathlib import Path

from ansible.template import trust_as_template

from tests.contract.contract_hosts import ROLES, Application, Inventory, applications, templar


def application(inv: Inventory, host: str, role: str) -> Application:
    """The role as site.yml applies it to that host."""
    apps = [a for a in applications(inv)[host] if a.role == role]
    return next((a for a in apps if a.playbook == "site.yml"), apps[0])


def render(
    inv: Inventory, host: str, role: str, template: str, roles: Path = ROLES, item=None
) -> str:
    """templates/<template> of roles/<role> (or of a copy: `roles`) for that host."""
    t = templar(inv, host, application(inv, host, role), roles)
    if item is not None:
        t.available_variables = {**t.available_variables, "item": item}
    source = (roles / role / "templates" / template).read_text(encoding="utf-8")
    return t.template(trust_as_template(source))


def script(path: Path):
    """A role's script (no .py suffix) as a module."""
    loader = importlib.machinery.SourceFileLoader(f"contract_{abs(hash(path))}", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


@cache
def model(inv_name: str):
    """The validated model the inventory's variables were built from."""
    from tests.contract.contract_hosts import INVENTORIES
    from vigie.loader import load_inventory

    return load_inventory(INVENTORIES[inv_name][1])
