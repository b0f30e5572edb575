"""The gateway's flow policy: what each site gateway lets through, everything else
denied, first by network names (the policy `vigie plan` shows and the lab draws),
then as the firewall role's forward rules (prefixes)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from vigie.desired import constants
from vigie.model import Inventory, Site
from vigie.netplan import NetworkPlan

# (direction, other site, role): "pulls" or "pulled-by", "recording" or "analysis".
Link = tuple[str, str, str]


def _flow(src: str, dst: str, proto: str, port: int | None, why: str) -> dict[str, Any]:
    return {"from": src, "to": dst, "proto": proto, "port": port, "why": why}


def remote_links(inv: Inventory) -> dict[str, list[Link]]:
    """site -> [(direction, other site, role)]: who records / analyses whose streams."""
    links: dict[str, list[Link]] = defaultdict(list)
    for site in inv.sites.values():
        has_detection = any(c.detection for c in site.cameras)
        for role, target in (("recording", site.recording_site), ("analysis", site.analysing_site)):
            if target == site.id or (role == "analysis" and not has_detection):
                continue
            links[site.id].append(("pulled-by", target, role))
            links[target].append(("pulls", site.id, role))
    return links


def gateway_policy(
    inv: Inventory,
    site: Site,
    plan: NetworkPlan,
    links: list[Link],
    analyses: bool,
) -> list[dict[str, Any]]:
    """Allowed flows through the site gateway; everything else is denied.

    `from`/`to` name a network of the site (`cameras`, `recorders`,
    `management`, `agency`, `admin`) or are a prefix (another site's network,
    a host of the administration network).
    """
    dept = inv.departement
    flows = [
        _flow(
            "recorders", "cameras", "tcp", constants.RTSP_PORT, "recorders and detectors pull RTSP"
        ),
        _flow("admin", "management", "tcp", 22, "SSH administration of the site hosts"),
        _flow("cameras", "admin", "udp", 123, "cameras keep time (arrêté du 3 août 2007)"),
        _flow("management", "admin", "udp", 123, "site hosts keep time from the NTP servers"),
    ]
    if dept.automation_controller:
        # No flow from the administration network to a camera: its configuration
        # goes through the automation only, which journals every change (ANSSI).
        flows.append(
            _flow(
                f"{dept.automation_controller}/32",
                "cameras",
                "tcp",
                443,
                "camera configuration by the automation controller only (journaled)",
            )
        )
    if dept.package_mirror is not None:
        mirror = dept.package_mirror
        flows.append(
            _flow(
                "management",
                f"{mirror.address}/32",
                mirror.proto,
                mirror.port,
                "security updates from the département package mirror",
            )
        )
    if analyses:
        flows.append(
            _flow(
                "recorders",
                "admin",
                "tcp",
                constants.MQTT_TLS_PORT,
                "detector events to MQTT (TLS)",
            )
        )
    if site.recorders:
        # Agencies never reach a recorder: they view through the access gateway,
        # which checks every segment request against a grant and journals it;
        # the recorders' segment servers answer the gateway only.
        for host in dept.central:
            flows.append(
                _flow(
                    f"{host.address}/32",
                    "recorders",
                    "tcp",
                    constants.SEGMENT_PORT,
                    "the access gateway alone reads recorded segments (granted, journaled)",
                )
            )
    # The event's still image stays on the detector host that made it: the access
    # gateway fetches it there, after its own check and journal entry.
    # Each detector host's address on the recorders VLAN only, not the whole VLAN.
    for det in site.detector_hosts:
        address = plan.sites[site.id].detector_address(det.id)
        for reader in dict.fromkeys(h.address for h in dept.central):
            flows.append(
                _flow(
                    f"{reader}/32",
                    f"{address}/32",
                    "tcp",
                    constants.SNAPSHOT_PORT,
                    "the access gateway alone fetches an event's still image (granted, journaled)",
                )
            )
    for direction, other, role in links:
        if other not in plan.sites:
            continue
        if direction == "pulled-by":
            remote = str(plan.sites[other].prefixes["recorders"])
            flows.append(_flow(remote, "cameras", "tcp", constants.RTSP_PORT, f"{role} at {other}"))
        else:
            remote = str(plan.sites[other].prefixes["cameras"])
            flows.append(
                _flow("recorders", remote, "tcp", constants.RTSP_PORT, f"{role} of {other}")
            )
    return flows


def firewall_rules(policy: list[dict[str, Any]], prefixes: dict[str, str]) -> list[dict[str, Any]]:
    """A gateway policy as firewall role forward rules (prefixes, not names)."""
    rules = []
    for flow in policy:
        rule = {
            "proto": flow["proto"],
            "saddr": prefixes.get(flow["from"], flow["from"]),
            "daddr": prefixes.get(flow["to"], flow["to"]),
            "comment": flow["why"],
        }
        if flow["port"] is not None:
            rule["port"] = flow["port"]
        rules.append(rule)
    return rules
