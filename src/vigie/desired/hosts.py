"""The managed hosts of a site (gateway, recorders, detector hosts) and of the
datacenter, each with its groups and its role inputs already prefixed and shaped
for the role: nothing is projected in Jinja."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from vigie.desired import constants
from vigie.desired.flows import firewall_rules, gateway_policy
from vigie.desired.records import recorder_camera
from vigie.desired.scope import Scope
from vigie.fleet import FleetPlan
from vigie.model import CentralHost, Site, WitnessHost
from vigie.names import (
    central_host_name,
    detector_host_name,
    gateway_name,
    recorder_name,
    witness_host_name,
    witness_tls_identity,
)
from vigie.netplan import NETWORKS, SitePlan

Records = dict[str, dict[str, Any]]  # "site/camera" -> the camera's record


@dataclass(frozen=True)
class ManagedHost:
    name: str
    kind: str  # "gateway" | "recorder" | "detector_host" | "central" | "witness"
    site: str
    groups: tuple[str, ...]
    vars: dict[str, Any]


def vlan(sp: SitePlan, name: str, address: str, gateway: str | None) -> dict[str, Any]:
    out = {
        "name": name,
        "vlan_id": sp.vlans[name],
        "prefix": str(sp.prefixes[name]),
        "address": address,
    }
    if gateway is not None:
        out["gateway"] = gateway
    return out


def _data_vlans(sp: SitePlan, data: str, mgmt: str) -> list[dict[str, Any]]:
    return [
        vlan(sp, "recorders", data, sp.gateway("recorders")),
        vlan(sp, "management", mgmt, sp.gateway("management")),
    ]


def _routes(sp: SitePlan, destinations: list[str]) -> list[dict[str, str]]:
    """Data flows leave through the gateway on the recorders VLAN, per destination
    (the policy's source for RTSP and MQTT); the rest follows management."""
    via = sp.gateway("recorders")
    return [{"to": d, "via": via, "vlan": "recorders"} for d in destinations]


def _camera_prefixes(scope: Scope, site_ids: set[str], fallback: str) -> list[str]:
    prefixes = sorted({str(scope.plan.sites[s].prefixes["cameras"]) for s in site_ids})
    return prefixes or [fallback]


def gateway_host(scope: Scope, site: Site, groups: list[str]) -> ManagedHost:
    sp = scope.plan.sites[site.id]
    links = scope.links[site.id]
    prefixes = {**sp.prefix_strings(), "admin": scope.admin_prefix}
    analyses = bool(site.detector_hosts) or any(
        d == "pulls" and r == "analysis" for d, _o, r in links
    )
    policy = gateway_policy(scope.inv, site, scope.plan, links, analyses)
    vlans = [vlan(sp, n, sp.gateway(n), None) for n in NETWORKS]
    name = gateway_name(site.id)
    return ManagedHost(
        name,
        "gateway",
        site.id,
        ("gateways", *groups),
        {
            "ansible_host": sp.gateway("management"),
            "network__vlans": vlans,
            "vigie_policy": policy,
            "vigie_firewall_forward_rules": firewall_rules(policy, prefixes),
        },
    )


def recorder_hosts(
    scope: Scope, site: Site, groups: list[str], records: Records
) -> list[ManagedHost]:
    sp = scope.plan.sites[site.id]
    recorded: dict[int, list[tuple[str, dict]]] = defaultdict(list)
    for other in scope.sites.values():
        if other.recording_site != site.id:
            continue
        for cam in other.cameras:
            recorded[cam.recorder].append((other.id, records[f"{other.id}/{cam.id}"]))
    # The access gateway's hosts read every recorder's segments; replies
    # leave by the VLAN the request came in on (strict rp_filter), so each one is
    # routed through the site gateway on the recorders VLAN.
    readers = scope.central_addresses
    out = []
    for rec in site.recorders:
        mgmt = sp.recorder_address(rec.id, "management")
        mine = recorded.get(rec.id, [])
        cams = [recorder_camera(r) for _s, r in mine]
        cam_prefixes = _camera_prefixes(scope, {s for s, _r in mine}, str(sp.prefixes["cameras"]))
        vlans = _data_vlans(sp, sp.recorder_address(rec.id), mgmt)
        out.append(
            ManagedHost(
                recorder_name(site.id, rec.id),
                "recorder",
                site.id,
                ("recorders", *groups),
                {
                    "ansible_host": mgmt,
                    "network__vlans": vlans,
                    "network__routes": _routes(sp, [*cam_prefixes, *(f"{a}/32" for a in readers)]),
                    "recorder__cameras": cams,
                    "recorder__camera_prefixes": cam_prefixes,
                    "recorder__storage_path": rec.storage_path,
                    "recorder__purge_threshold_percent": rec.purge_threshold_percent,
                    "monitoring__recordings_path": rec.storage_path,
                    "recorder__segment_readers": readers,
                    "recorder__segment_seconds": scope.segment_seconds,
                    "recorder__segment_port": constants.SEGMENT_PORT,
                    "recorder__live_path": constants.LIVE_PATH,
                    "recorder__live_buffer_path": constants.LIVE_BUFFER_PATH,
                    "recorder__live_segment_seconds": constants.LIVE_SEGMENT_SECONDS,
                    "recorder__live_playlist_size": constants.LIVE_PLAYLIST_SIZE,
                },
            )
        )
    return out


def detector_hosts(
    scope: Scope, site: Site, groups: list[str], records: Records, fleet: FleetPlan
) -> list[ManagedHost]:
    sp = scope.plan.sites[site.id]
    by_host = {h.host.name: h for h in fleet.hosts}
    # The access gateway's hosts fetch the events' still images. The replies must
    # leave by the recorders VLAN, where the requests came in (strict rp_filter):
    # the administration prefix's route does it, central hosts are on that prefix
    # (NET-ADMIN-SERVICES).
    readers = scope.central_addresses
    out = []
    for det in site.detector_hosts:
        name = detector_host_name(site.id, det.id)
        mgmt = sp.detector_address(det.id, "management")
        host_plan = by_host.get(name)
        refs = host_plan.cameras if host_plan else ()
        cam_prefixes = _camera_prefixes(
            scope, {c.site_id for c in refs}, str(sp.prefixes["cameras"])
        )
        vlans = _data_vlans(sp, sp.detector_address(det.id), mgmt)
        out.append(
            ManagedHost(
                name,
                "detector_host",
                site.id,
                ("detector_hosts", *groups),
                {
                    "ansible_host": mgmt,
                    "network__vlans": vlans,
                    "network__routes": _routes(sp, [*cam_prefixes, scope.admin_prefix]),
                    "detector_host__camera_prefixes": cam_prefixes,
                    "detector_host__snapshot_readers": readers,
                    "detector_host__snapshot_port": constants.SNAPSHOT_PORT,
                    "detector_host__snapshot_path": constants.SNAPSHOTS_HOST_PATH,
                    "detector_host__snapshot_uid": constants.DETECTOR_UID,
                    # Not a role input: the hand-over of the fleet plan to the
                    # detector host (roles/detector_host's snapshot containers) and
                    # to the lab's simulators (analysis substreams).
                    "vigie_detectors": [
                        {
                            "container": s.container_name,
                            "cameras": [f"{c.site_id}/{c.id}" for c in s.cameras],
                            # What the container reads (no credentials): the lab's
                            # camera simulators serve these paths too.
                            "streams": [
                                records[f"{c.site_id}/{c.id}"]["analysis_stream"]["rtsp_url"]
                                for c in s.cameras
                            ],
                        }
                        for s in (host_plan.shards if host_plan else ())
                    ],
                },
            )
        )
    return out


def central_host(host: CentralHost) -> ManagedHost:
    """A datacenter host of the CA, broker and access gateway."""
    name = central_host_name(host.id)
    return ManagedHost(
        name, "central", "", (constants.CENTRAL_GROUP,), {"ansible_host": host.address}
    )


def witness_host(host: WitnessHost, journal: CentralHost) -> ManagedHost:
    """A host of the journal's witness: roles/witness's inputs, the journal it pulls
    from (`journal`, the central host whose CA signs its TLS request) included."""
    return ManagedHost(
        witness_host_name(host.id),
        "witness",
        "",
        (constants.WITNESS_GROUP,),
        {
            "ansible_host": host.address,
            "witness__name": host.name,
            "witness__tls_identity": witness_tls_identity(host.name),
            "witness__journal_url": f"https://{journal.address}{constants.JOURNAL_PATH}",
            "witness__ca_host": central_host_name(journal.id),
        },
    )
