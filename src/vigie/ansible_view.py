"""The desired state as Ansible sees it: hosts, groups and variables.

A serialisation of `vigie.desired.DesiredState` (docs/CONTRACT.md, "Hosts,
groups and host variables"); the inventory plugin copies the result into
Ansible and the benchmark writes the same result as a static YAML inventory.

Only managed hosts (gateways, recorders, detector hosts) are Ansible hosts: no
play manages a camera, whose data is in the inputs of the hosts that record or
analyse it. Values every host of a site shares are variables of its
`site_<site>` group; département-wide role inputs are variables of the
`recorders`, `detector_hosts` and `gateways` groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigie.desired import DesiredState
from vigie.model import Inventory
from vigie.options import InventoryOptions


@dataclass
class AnsibleView:
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)

    _membership: dict[str, list[str]] = field(default_factory=dict)

    def add(self, host: str, groups: list[str], variables: dict[str, Any]) -> None:
        self.hosts[host] = variables
        self._membership[host] = groups
        for group in groups:
            self.groups.setdefault(group, []).append(host)

    def host_groups(self, host: str) -> list[str]:
        return self._membership.get(host, [])


def to_ansible(state: DesiredState) -> AnsibleView:
    view = AnsibleView(group_vars=dict(state.group_vars))
    for group in ("recorders", "detector_hosts", "gateways"):
        view.groups[group] = []
    for host in state.hosts.values():
        view.add(host.name, list(host.groups), host.vars)
    return view


def build_view(
    inv: Inventory, *, sites: list[str] | None = None, max_cameras_per_site: int | None = None
) -> AnsibleView:
    """Hosts, groups and variables; `sites` and `max_cameras_per_site` trim it (the lab)."""
    options = InventoryOptions(
        data_dir=inv.path,  # type: ignore[arg-type]
        sites=tuple(sites) if sites is not None else None,
        max_cameras_per_site=max_cameras_per_site,
    )
    return to_ansible(DesiredState.build(inv, options))
