"""`DesiredState.build`: wires the parts together, in order (records, detectors,
groups, site hosts, central), then checks every typed hand-over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigie.desired import constants, schemas
from vigie.desired.detectors import detector_configs
from vigie.desired.gateway import GatewayHandOver
from vigie.desired.gateway_inputs import gateway_hand_over
from vigie.desired.group_vars import (
    broker_endpoint,
    central_group_vars,
    managed_group_vars,
    site_groups,
)
from vigie.desired.hosts import (
    ManagedHost,
    central_host,
    detector_hosts,
    gateway_host,
    recorder_hosts,
    witness_host,
)
from vigie.desired.records import camera_record
from vigie.desired.scope import Scope, select
from vigie.errors import Diagnostic, InventoryError
from vigie.fleet import FleetError, FleetPlan, site_fleet
from vigie.model import Inventory
from vigie.netplan import NetworkPlan
from vigie.options import InventoryOptions


@dataclass
class DesiredState:
    inventory: Inventory
    network: NetworkPlan
    fleet: FleetPlan
    hosts: dict[str, ManagedHost] = field(default_factory=dict)
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    # shard resource name -> detector configuration (no secret: credential names)
    detectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    # gateway host name -> allowed flows (prefixes), default deny
    firewall: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # "site/camera" -> the camera's record (what recorders and detectors get)
    cameras: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Where the detectors publish ({host, port}); None without central hosts.
    broker: dict[str, Any] | None = None
    # What the access service is given (vigie.desired.gateway); None without central hosts.
    gateway: dict[str, Any] | None = None

    @classmethod
    def build(cls, inv: Inventory, options: InventoryOptions | None = None) -> DesiredState:
        return build(inv, options or InventoryOptions(data_dir=inv.path))  # type: ignore[arg-type]

    def access_policy_files(self) -> dict[str, str]:
        """The access policy's export (Cedar schema, policies, entities, docs/access.md),
        from the same validated model: built on demand (`vigie access export`); the
        access service gets the policy in its hand-over (`gateway`)."""
        from vigie.access_policy.cedar import export_files

        return export_files(self.inventory)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {g: [] for g in constants.MANAGED_GROUPS}
        for host in self.hosts.values():
            for group in host.groups:
                out.setdefault(group, []).append(host.name)
        return out


def build(inv: Inventory, options: InventoryOptions) -> DesiredState:
    scope = select(inv, options)
    fleet = _fleet(scope, options)
    state = DesiredState(inventory=inv, network=scope.plan, fleet=fleet)
    for site in scope.sites.values():
        sp = scope.plan.sites[site.id]
        for cam in site.cameras:
            state.cameras[f"{site.id}/{cam.id}"] = camera_record(inv, site, cam, sp)
    state.detectors = detector_configs(inv, fleet, state.cameras)
    state.group_vars = managed_group_vars(scope)
    for site in scope.sites.values():
        groups = site_groups(inv, site)
        gateway = gateway_host(scope, site, groups)
        state.firewall[gateway.name] = gateway.vars["vigie_firewall_forward_rules"]
        for host in [
            gateway,
            *recorder_hosts(scope, site, groups, state.cameras),
            *detector_hosts(scope, site, groups, state.cameras, fleet),
        ]:
            state.hosts[host.name] = host
    if inv.departement.central:
        central_vars = central_group_vars(inv, fleet)
        state.broker = broker_endpoint(inv, central_vars)
        state.gateway = gateway_hand_over(scope, fleet, state.broker)
        central_vars["access_gateway__handover"] = state.gateway
        # The journal's witnesses pull it from the first central host (the broker's,
        # whose CA signs their TLS requests); its nginx lets their certificates read it.
        journal = min(inv.departement.central, key=lambda h: h.id)
        witnesses = [witness_host(w, journal) for w in inv.departement.witnesses]
        central_vars["access_gateway__witnesses"] = [
            w.vars["witness__tls_identity"] for w in witnesses
        ]
        state.group_vars[constants.CENTRAL_GROUP] = central_vars
        for central in inv.departement.central:
            host = central_host(central)
            state.hosts[host.name] = host
        for host in witnesses:
            state.hosts[host.name] = host
    _check_hand_over(state)
    return state


def _fleet(scope: Scope, options: InventoryOptions) -> FleetPlan:
    dept = scope.inv.departement
    per_core = options.cameras_per_core or dept.detection_capacity.cameras_per_core
    try:
        return site_fleet(scope.sites, per_core)
    except FleetError as exc:
        raise InventoryError(
            [Diagnostic(scope.inv.path, 1, p.rule, p.message) for p in exc.problems]
        ) from None


def _check_hand_over(state: DesiredState) -> None:
    """What each consumer takes, against its schema (a failure is a bug of the builder)."""
    for host in state.hosts.values():
        if host.kind == "recorder":
            given = {**state.group_vars["recorders"], **host.vars}
            schemas.check(schemas.RecorderInputs, host.name, given, "recorder__")
        elif host.kind == "detector_host":
            given = {**state.group_vars["detector_hosts"], **host.vars}
            schemas.check(schemas.DetectorHostInputs, host.name, given, "detector_host__")
    for name, config in state.detectors.items():
        schemas.check(schemas.DetectorConfig, name, config)
    if state.broker is not None:
        central = state.group_vars[constants.CENTRAL_GROUP]
        schemas.check(schemas.BrokerInputs, constants.CENTRAL_GROUP, central, "broker__")
        schemas.check(schemas.BrokerEndpoint, "broker", state.broker)
    if state.gateway is not None:
        schemas.validate(GatewayHandOver, "access_gateway__handover", state.gateway)
