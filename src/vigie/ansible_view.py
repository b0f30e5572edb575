"""The inventory as Ansible sees it: hosts, groups and variables.

This is the one place docs/CONTRACT.md ("Hosts, groups and host variables")
is implemented; the inventory plugin only copies the result into Ansible, and
the benchmark writes the same result as a static YAML inventory.

Values every host of a site shares (`vigie_site`, `vigie_site_prefixes`) are
variables of the `site_<site>` group, and département-wide ones for managed
hosts (`vigie_ntp_servers`, `vigie_admins`) of the `recorders`,
`detector_hosts` and `gateways` groups: each host still sees them, Ansible
stores them once, `group_vars/` files can override them, and the thousands of
camera hosts (never managed) do not carry them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from vigie.model import Camera, Inventory, Site
from vigie.netplan import NETWORKS, NetworkPlan, SitePlan, plan_network
from vigie.reference import reference

RTSP_PORT = 554


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


def _site_groups(inv: Inventory, site: Site) -> list[str]:
    commune = reference().communes.get(site.insee)
    groups = [site.group, f"commune_{site.insee}", f"kind_{site.kind}"]
    if commune and commune.epci:
        groups.append(f"epci_{commune.epci}")
    force = inv.competent_force.get(site.insee)
    if force:
        groups.append(f"force_{force}")
    return groups


def camera_credential(site: Site, camera: Camera) -> str:
    """Name of the vault variable holding the camera's login (never the secret)."""
    return (
        camera.credential or site.camera_credential or "vault_camera_" + site.id.replace("-", "_")
    )


def camera_vars(site: Site, camera: Camera, sp: SitePlan) -> dict[str, Any]:
    address = sp.camera_address(camera.id)
    detection = None
    if camera.detection is not None:
        detection = {
            "classes": list(camera.detection.classes),
            "zones": {n: [list(p) for p in poly] for n, poly in camera.detection.zones.items()},
            "active": camera.detection.active,
            "opening_hours": site.opening_hours,
        }
    return {
        "id": camera.host_name,
        "address": address,
        "rtsp_url": f"rtsp://{address}:{RTSP_PORT}{camera.rtsp_path}",
        "retention_days": camera.retention_days,
        "bitrate_kbps": camera.bitrate_kbps,
        "fps": camera.fps,
        "resolution": camera.resolution,
        "films_public_road": camera.films_public_road,
        "detection": detection,
        "privacy_masks": [[list(p) for p in poly] for poly in camera.privacy_masks],
        "credential": camera_credential(site, camera),
    }


def _vlan(sp: SitePlan, name: str, address: str, gateway: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "vlan_id": sp.vlans[name],
        "prefix": str(sp.prefixes[name]),
        "address": address,
        "gateway": gateway,
    }


def _data_host_vlans(sp: SitePlan, data_address: str, mgmt: str) -> list[dict[str, Any]]:
    """Recorders and detector hosts: data on the recorders VLAN, Ansible on management."""
    return [
        _vlan(sp, "recorders", data_address, sp.gateway("recorders")),
        _vlan(sp, "management", mgmt, sp.gateway("management")),
    ]


def _flow(src: str, dst: str, proto: str, port: int, why: str) -> dict[str, Any]:
    return {"from": src, "to": dst, "proto": proto, "port": port, "why": why}


def _remote_links(inv: Inventory) -> dict[str, list[tuple[str, str, str]]]:
    """site -> [(direction, other site, role)]: who records / analyses whose streams."""
    links: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for site in inv.sites.values():
        has_detection = any(c.detection for c in site.cameras)
        for role, target in (("recording", site.recording_site), ("analysis", site.analysing_site)):
            if target == site.id or (role == "analysis" and not has_detection):
                continue
            links[site.id].append(("pulled-by", target, role))
            links[target].append(("pulls", site.id, role))
    return links


def gateway_policy(
    site: Site, plan: NetworkPlan, links: list[tuple[str, str, str]], analyses: bool
) -> list[dict[str, Any]]:
    """Allowed flows through the site gateway; everything else is denied.

    `from`/`to` name a prefix of `vigie_site_prefixes`, or are the CIDR of
    another site's prefix (remote recording or analysis).
    """
    flows = [
        _flow(
            "recorders",
            "cameras",
            "tcp",
            RTSP_PORT,
            "recorders and detector hosts pull the RTSP streams",
        ),
        _flow(
            "admin",
            "cameras",
            "tcp",
            443,
            "camera management only from the administration network (ANSSI)",
        ),
        _flow(
            "admin",
            "management",
            "tcp",
            22,
            "SSH administration of the site hosts from the administration network",
        ),
        _flow(
            "cameras",
            "admin",
            "udp",
            123,
            "cameras stamp recordings with the right time (arrêté du 3 août 2007)",
        ),
        _flow(
            "management",
            "admin",
            "udp",
            123,
            "site hosts keep time from the département NTP servers",
        ),
    ]
    if analyses:
        flows.append(
            _flow(
                "recorders",
                "admin",
                "tcp",
                8883,
                "detector events to the supervision MQTT broker (TLS)",
            )
        )
    if site.transmissions:
        agencies = ", ".join(sorted({t.agency for t in site.transmissions}))
        flows.append(
            _flow(
                "agency",
                "recorders",
                "tcp",
                443,
                f"designated viewers ({agencies}) fetch the clips of an anomaly, on event",
            )
        )
    for direction, other, role in links:
        if other not in plan.sites:
            continue
        if direction == "pulled-by":
            flows.append(
                _flow(
                    str(plan.sites[other].prefixes["recorders"]),
                    "cameras",
                    "tcp",
                    RTSP_PORT,
                    f"{role} at {other}",
                )
            )
        else:
            flows.append(
                _flow(
                    "recorders",
                    str(plan.sites[other].prefixes["cameras"]),
                    "tcp",
                    RTSP_PORT,
                    f"{role} of {other}",
                )
            )
    return flows


def build_view(
    inv: Inventory, *, sites: list[str] | None = None, max_cameras_per_site: int | None = None
) -> AnsibleView:
    """Hosts, groups and variables; `sites` and `max_cameras_per_site` trim it (the lab)."""
    plan = plan_network(inv)
    chosen = [s for s in inv.sites.values() if sites is None or s.id in sites]
    links = _remote_links(inv)

    def kept(site: Site) -> list[Camera]:
        if max_cameras_per_site is None:
            return site.cameras
        return site.cameras[:max_cameras_per_site]

    cams: dict[str, dict] = {}
    recorded: dict[tuple[str, int], list[dict]] = defaultdict(list)
    analysed: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for site in chosen:
        sp = plan.sites[site.id]
        for cam in kept(site):
            cv = cams[cam.host_name] = camera_vars(site, cam, sp)
            recorded[(site.recording_site, cam.recorder)].append(cv)
            if cam.detection is not None:
                analysed[(site.analysing_site, cam.detector_host or 1)].append(cv)

    view = AnsibleView()
    managed_vars = {
        "vigie_ntp_servers": list(inv.departement.ntp_servers),
        "vigie_admins": [
            {"name": a.name, "ssh_keys": list(a.ssh_keys)} for a in inv.departement.admins
        ],
    }
    for group in ("recorders", "detector_hosts", "gateways"):
        view.group_vars[group] = managed_vars
    for group in ("recorders", "detector_hosts", "gateways", "cameras"):
        view.groups[group] = []
    admin_prefix = str(plan.admin_prefix)
    for site in chosen:
        sp = plan.sites[site.id]
        groups = _site_groups(inv, site)
        view.group_vars[site.group] = {
            "vigie_site": _site_vars(inv, site),
            "vigie_site_prefixes": {**sp.prefix_strings(), "admin": admin_prefix},
        }
        analyses = bool(site.detector_hosts) or any(
            d == "pulls" and r == "analysis" for d, _o, r in links[site.id]
        )
        view.add(
            site.gateway,
            ["gateways", *groups],
            {
                "ansible_host": sp.gateway("management"),
                "vigie_vlans": [_vlan(sp, n, sp.gateway(n), None) for n in NETWORKS],
                "vigie_policy": gateway_policy(site, plan, links[site.id], analyses),
            },
        )
        for rec in site.recorders:
            mgmt = sp.recorder_address(rec.id, "management")
            view.add(
                f"{site.id}-rec{rec.id}",
                ["recorders", *groups],
                {
                    "ansible_host": mgmt,
                    "vigie_vlans": _data_host_vlans(sp, sp.recorder_address(rec.id), mgmt),
                    "vigie_cameras": recorded.get((site.id, rec.id), []),
                    "vigie_recorder": {
                        "storage_path": rec.storage_path,
                        "disk_gb": rec.disk_gb,
                        "purge_threshold_percent": rec.purge_threshold_percent,
                    },
                },
            )
        for det in site.detector_hosts:
            mgmt = sp.detector_address(det.id, "management")
            view.add(
                f"{site.id}-det{det.id}",
                ["detector_hosts", *groups],
                {
                    "ansible_host": mgmt,
                    "vigie_vlans": _data_host_vlans(sp, sp.detector_address(det.id), mgmt),
                    "vigie_cameras": analysed.get((site.id, det.id), []),
                },
            )
        for cam in kept(site):
            view.add(cam.host_name, ["cameras", *groups], {"vigie_camera": cams[cam.host_name]})
    return view
