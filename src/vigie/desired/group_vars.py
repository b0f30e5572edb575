"""Variables of the Ansible groups: département-wide role inputs of the managed
groups, each site's own values, the central services' inputs; and the groups a
site's hosts belong to."""

from __future__ import annotations

from typing import Any

from vigie.central import central_inputs
from vigie.desired import constants
from vigie.desired.scope import Scope
from vigie.fleet import FleetPlan
from vigie.geography import reference
from vigie.model import Inventory, Site
from vigie.names import site_group

DUTIES = {
    "administrators": "operate the hosts (SSH from the administration network, journal); "
    "no sudo where footage is held, no route to any camera or recorded video",
    "automation": "the only one that configures hosts (deploy account) and cameras "
    "(automation_controller), every run journaled",
    "viewers": "designated agencies see images of the sites they hold a transmission "
    "decision for, on event (access policy)",
}


def managed_group_vars(scope: Scope) -> dict[str, dict[str, Any]]:
    dept = scope.inv.departement
    admin = scope.admin_prefix
    admins = [{"name": a.name, "ssh_keys": list(a.ssh_keys)} for a in dept.admins]
    managed = {
        "base__ntp_servers": list(dept.ntp_servers),
        "base__admins": admins,
        "base__admin_prefixes": [admin],
        "monitoring__admin_prefixes": [admin],
        # Separation of duties (docs/sources.md, ANSSI; CSI L252-2): administrators
        # operate hosts over SSH and never get root on a host holding footage;
        # cameras are configured by the automation only; images are seen by
        # designated viewers only (access policy).
        "base__admin_sudo": False,
        "vigie_duties": DUTIES,
        # Updates behind the firewalls: apt's proxy, the network role exports
        # the host's output rule to it (the gateways' policy has the flow).
        "network__package_mirror": _mirror(scope.inv),
    }
    out: dict[str, dict[str, Any]] = dict.fromkeys(constants.MANAGED_GROUPS, managed)
    out["detector_hosts"] = {
        **managed,
        "detector_host__mqtt_prefixes": [admin],
        "detector_host__mqtt_port": constants.MQTT_TLS_PORT,
    }
    for site in scope.sites.values():
        sp = scope.plan.sites[site.id]
        out[site_group(site.id)] = {
            "vigie_site": _site_vars(scope.inv, site),
            "vigie_site_prefixes": {**sp.prefix_strings(), "admin": admin},
        }
    return out


def central_group_vars(inv: Inventory, fleet: FleetPlan) -> dict[str, Any]:
    """roles/pki and roles/broker's inputs: the identities to issue and the broker's
    ACL, from the same fleet plan the detectors are deployed with (roles/access_gateway's
    is its hand-over, `access_gateway__handover`, added by the builder)."""
    inputs = central_inputs(inv, fleet)
    return {
        "pki__identities": inputs["identities"],
        "broker__acl": inputs["acl"],
        # The port the detectors are told (DesiredState.broker) and the site
        # gateways open towards the administration network (gateway_policy).
        "broker__port": constants.MQTT_TLS_PORT,
    }


def broker_endpoint(inv: Inventory, central_vars: dict[str, Any]) -> dict[str, Any]:
    """Where the detectors publish: the first central host's address (the broker's
    certificate names it, playbooks/central.yml) on the port its role listens on."""
    first = min(inv.departement.central, key=lambda h: h.id)
    return {"host": first.address, "port": central_vars["broker__port"]}


def site_groups(inv: Inventory, site: Site) -> list[str]:
    """The groups every host of the site is in: its site, commune, kind, EPCI, force."""
    commune = reference().communes.get(site.insee)
    groups = [site_group(site.id), f"commune_{site.insee}", f"kind_{site.kind}"]
    if commune and commune.epci:
        groups.append(f"epci_{commune.epci}")
    force = inv.competent_force.get(site.insee)
    if force:
        groups.append(f"force_{force}")
    return groups


def _mirror(inv: Inventory) -> dict[str, Any] | None:
    mirror = inv.departement.package_mirror
    if mirror is None:
        return None
    return {"address": mirror.address, "port": mirror.port, "proto": mirror.proto}


def _site_vars(inv: Inventory, site: Site) -> dict[str, Any]:
    commune = reference().communes.get(site.insee)
    return {
        "id": site.id,
        "name": site.name,
        "kind": site.kind,
        "insee": site.insee,
        "commune": commune.name if commune else None,
        "epci": commune.epci if commune else None,
        "timezone": site.timezone or inv.departement.timezone,
    }
