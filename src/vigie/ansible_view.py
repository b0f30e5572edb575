"""The inventory as Ansible sees it: hosts, groups and host variables.

This is the one place docs/CONTRACT.md ("Hosts, groups and host variables")
is implemented; the inventory plugin only copies the result into Ansible, and
the benchmark writes the same result as a static YAML inventory.
"""

from __future__ import annotations

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

    def add(self, host: str, groups: list[str], variables: dict[str, Any]) -> None:
        self.hosts[host] = variables
        for group in groups:
            self.groups.setdefault(group, []).append(host)


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
            "zones": {
                name: [list(p) for p in poly] for name, poly in camera.detection.zones.items()
            },
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


def gateway_policy(inv: Inventory, plan: NetworkPlan, site: Site) -> list[dict[str, Any]]:
    """Allowed flows through the site gateway; everything else is denied.

    `from`/`to` name a prefix of `vigie_site_prefixes`, or are a CIDR for
    another site's prefix (remote recording or analysis).
    """
    flows = [
        {
            "from": "recorders",
            "to": "cameras",
            "proto": "tcp",
            "port": RTSP_PORT,
            "why": "recorders and detector hosts pull the RTSP streams",
        },
        {
            "from": "admin",
            "to": "cameras",
            "proto": "tcp",
            "port": 443,
            "why": "camera management only from the administration network (ANSSI)",
        },
        {
            "from": "admin",
            "to": "management",
            "proto": "tcp",
            "port": 22,
            "why": "SSH administration of the site hosts from the administration network",
        },
        {
            "from": "cameras",
            "to": "admin",
            "proto": "udp",
            "port": 123,
            "why": "cameras stamp recordings with the right time (arrêté du 3 août 2007)",
        },
        {
            "from": "management",
            "to": "admin",
            "proto": "udp",
            "port": 123,
            "why": "site hosts keep time from the département NTP servers",
        },
    ]
    if site.detector_hosts or any(s.analysing_site == site.id for s in inv.sites.values()):
        flows.append(
            {
                "from": "recorders",
                "to": "admin",
                "proto": "tcp",
                "port": 8883,
                "why": "detector events to the supervision MQTT broker (TLS)",
            }
        )
    if site.transmissions:
        agencies = ", ".join(sorted({t.agency for t in site.transmissions}))
        flows.append(
            {
                "from": "agency",
                "to": "recorders",
                "proto": "tcp",
                "port": 443,
                "why": f"designated viewers ({agencies}) fetch the clips of an anomaly, on event",
            }
        )
    for other in inv.sites.values():
        if other.id == site.id or other.id not in plan.sites:
            continue
        for role, attribute in (("recording", "recording_site"), ("analysis", "analysing_site")):
            if getattr(site, attribute) == other.id and (
                role == "recording" or any(c.detection for c in site.cameras)
            ):
                flows.append(
                    {
                        "from": str(plan.sites[other.id].prefixes["recorders"]),
                        "to": "cameras",
                        "proto": "tcp",
                        "port": RTSP_PORT,
                        "why": f"{role} at {other.id}",
                    }
                )
            if getattr(other, attribute) == site.id and (
                role == "recording" or any(c.detection for c in other.cameras)
            ):
                flows.append(
                    {
                        "from": "recorders",
                        "to": str(plan.sites[other.id].prefixes["cameras"]),
                        "proto": "tcp",
                        "port": RTSP_PORT,
                        "why": f"{role} of {other.id}",
                    }
                )
    return flows


def build_view(
    inv: Inventory, *, sites: list[str] | None = None, max_cameras_per_site: int | None = None
) -> AnsibleView:
    """Hosts, groups and variables; `sites` and `max_cameras_per_site` trim it (the lab)."""
    plan = plan_network(inv)
    chosen = [s for s in inv.sites.values() if sites is None or s.id in sites]
    chosen_ids = {s.id for s in chosen}

    def kept(site: Site) -> list[Camera]:
        return (
            site.cameras[:max_cameras_per_site]
            if max_cameras_per_site is not None
            else site.cameras
        )

    recorded: dict[tuple[str, int], list[dict]] = {}
    analysed: dict[tuple[str, int], list[dict]] = {}
    for site in chosen:
        sp = plan.sites[site.id]
        for cam in kept(site):
            cv = camera_vars(site, cam, sp)
            recorded.setdefault((site.recording_site, cam.recorder), []).append(cv)
            if cam.detection is not None:
                analysed.setdefault((site.analysing_site, cam.detector_host or 1), []).append(cv)

    admin_prefix = str(plan.admin_prefix)
    common = {
        "vigie_ntp_servers": list(inv.departement.ntp_servers),
        "vigie_admins": [
            {"name": a.name, "ssh_keys": list(a.ssh_keys)} for a in inv.departement.admins
        ],
    }
    view = AnsibleView()
    for group in ("recorders", "detector_hosts", "gateways", "cameras"):
        view.groups[group] = []
    for site in chosen:
        sp = plan.sites[site.id]
        site_vars = _site_vars(inv, site)
        groups = _site_groups(inv, site)
        prefixes = {**sp.prefix_strings(), "admin": admin_prefix}

        def managed(extra: dict[str, Any], address: str) -> dict[str, Any]:
            return {
                "ansible_host": address,
                "vigie_site": site_vars,
                **common,
                "vigie_site_prefixes": prefixes,
                **extra,
            }

        view.add(
            site.gateway,
            ["gateways", *groups],
            managed(
                {
                    "vigie_vlans": [_vlan(sp, n, sp.gateway(n), None) for n in NETWORKS],
                    "vigie_policy": gateway_policy(inv, plan, site),
                },
                sp.gateway("management"),
            ),
        )
        for rec in site.recorders:
            mgmt = sp.recorder_address(rec.id, "management")
            view.add(
                f"{site.id}-rec{rec.id}",
                ["recorders", *groups],
                managed(
                    {
                        "vigie_vlans": [
                            _vlan(
                                sp,
                                "recorders",
                                sp.recorder_address(rec.id),
                                sp.gateway("recorders"),
                            ),
                            _vlan(sp, "management", mgmt, sp.gateway("management")),
                        ],
                        "vigie_cameras": recorded.get((site.id, rec.id), []),
                        "vigie_recorder": {
                            "storage_path": rec.storage_path,
                            "disk_gb": rec.disk_gb,
                            "purge_threshold_percent": rec.purge_threshold_percent,
                        },
                    },
                    mgmt,
                ),
            )
        for det in site.detector_hosts:
            mgmt = sp.detector_address(det.id, "management")
            view.add(
                f"{site.id}-det{det.id}",
                ["detector_hosts", *groups],
                managed(
                    {
                        "vigie_vlans": [
                            _vlan(
                                sp,
                                "recorders",
                                sp.detector_address(det.id),
                                sp.gateway("recorders"),
                            ),
                            _vlan(sp, "management", mgmt, sp.gateway("management")),
                        ],
                        "vigie_cameras": analysed.get((site.id, det.id), []),
                    },
                    mgmt,
                ),
            )
        for cam in kept(site):
            view.add(
                cam.host_name,
                ["cameras", *groups],
                {"vigie_site": site_vars, "vigie_camera": camera_vars(site, cam, sp)},
            )
    del chosen_ids
    return view
