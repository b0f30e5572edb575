"""The stack's inventory: a data directory, or an inventory-plugin file that trims one.

``inventories/lab`` holds ``vigie.yml`` for the Ansible inventory plugin
(``path``, ``sites``, ``max_cameras_per_site``). The stack reads the same file,
so the lab's detectors analyse exactly the cameras the lab's hosts know.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import pulumi
from vigie.errors import InventoryError
from vigie.loader import load_inventory
from vigie.netplan import NetworkPlan, plan_network

PLUGIN_FILES = ("vigie.yml", "vigie.yaml")


def _plugin_file(path: Path) -> Path | None:
    if path.is_file():
        return path
    return next((path / n for n in PLUGIN_FILES if (path / n).is_file()), None)


def load_stack_inventory(path: Path) -> tuple[Any, NetworkPlan]:
    """The checked inventory and its network plan (planned before trimming, as the plugin does).

    Operator mistakes end the program with ``path:line: RULE: message``, no traceback.
    """
    plugin = _plugin_file(path)
    options: dict[str, Any] = {}
    data_dir = path
    if plugin is not None:
        options = yaml.safe_load(plugin.read_text()) or {}
        data_dir = (plugin.parent / (options.get("path") or ".")).resolve()
    try:
        inventory = load_inventory(data_dir)
    except InventoryError as exc:
        lines = [d.format() for d in exc.errors]
        raise pulumi.RunError("\n".join(lines)) from None
    network = plan_network(inventory)
    sites = options.get("sites")
    limit = options.get("max_cameras_per_site")
    if sites is not None:
        unknown = sorted(set(sites) - set(inventory.sites))
        if unknown:
            raise pulumi.RunError(f"{plugin}: unknown site(s) in `sites`: {', '.join(unknown)}")
        inventory.sites = {k: v for k, v in inventory.sites.items() if k in sites}
    if limit is not None:
        # Same trimming as vigie.ansible_view.build_view: the first N cameras of each site.
        for site in inventory.sites.values():
            site.cameras = site.cameras[:limit]
    return inventory, network
