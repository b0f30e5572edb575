"""The desired state of the platform, built once from the validated model.

`DesiredState.build(inventory, options)` answers every question a consumer
asks, once:

- `hosts`: every managed host (gateways, recorders, detector hosts), its
  groups and its role inputs already prefixed and shaped for the role
  (`recorder__cameras`, `detector_host__camera_prefixes`, `network__vlans`,
  `base__admins`, ...): nothing is projected in Jinja;
- `fleet`: the single answer to "which detector host and container analyses
  which camera" (`vigie.fleet`), host names from `vigie.names`;
- `detectors`: the configuration of every detector container, without
  secrets (credential names only);
- `firewall`: each gateway's allowed flows, as prefixes.

Consumers only serialise it: the inventory plugin (`to_ansible`), the Pulumi
program (`detectors`, `fleet`), the lab (through the plugin's output) and
`vigie plan` / `vigie summary`. Cameras are not Ansible hosts: no play
manages them; their data lives in the inputs of the hosts that record or
analyse them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from vigie.errors import Diagnostic, InventoryError
from vigie.fleet import FleetError, FleetPlan, plan_fleet
from vigie.model import AnalysisStream, Camera, Inventory, Site
from vigie.names import (
    central_host_name,
    default_credential,
    detector_host_name,
    gateway_name,
    recorder_name,
    site_group,
)
from vigie.netplan import NETWORKS, NetworkPlan, SitePlan, plan_network
from vigie.options import InventoryOptions
from vigie.reference import reference
from vigie.schedule import closure_days

DUTIES = {
    "administrators": "operate the hosts (SSH from the administration network, journal); "
    "no sudo where footage is held, no route to any camera or recorded video",
    "automation": "the only one that configures hosts (deploy account) and cameras "
    "(automation_controller), every run journaled",
    "viewers": "designated agencies see images of the sites they hold a transmission "
    "decision for, on event (access policy)",
}
RTSP_PORT = 554
MQTT_TLS_PORT = 8883
# Recorders serve their segments read-only on this port, to the access gateway only.
SEGMENT_PORT = 8088
# Detector hosts serve their events' still images read-only on this port, likewise.
SNAPSHOT_PORT = 8089
# Where a detector host keeps its containers' still images, one folder per
# container (roles/detector_host serves them, the Pulumi stack bind-mounts them).
SNAPSHOTS_HOST_PATH = "/var/lib/vigie-detector/snapshots"
ANALYSIS_WIDTH = 640  # detector benchmark (detector_image/README.md)
MANAGED_GROUPS = ("recorders", "detector_hosts", "gateways")


@dataclass(frozen=True)
class ManagedHost:
    name: str
    kind: str  # "gateway" | "recorder" | "detector_host"
    site: str
    groups: tuple[str, ...]
    vars: dict[str, Any]


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

    @classmethod
    def build(cls, inv: Inventory, options: InventoryOptions | None = None) -> DesiredState:
        return _Builder(inv, options or InventoryOptions(data_dir=inv.path)).build()  # type: ignore[arg-type]

    def access_policy_files(self) -> dict[str, str]:
        """The access policy (Cedar policies and entities, docs/access.md), from the same
        validated model: built on demand, only consumers that deploy it need it."""
        from vigie.access.cedar import export_files

        return export_files(self.inventory)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {g: [] for g in MANAGED_GROUPS}
        for host in self.hosts.values():
            for group in host.groups:
                out.setdefault(group, []).append(host.name)
        return out


def camera_credential(site: Site, camera: Camera) -> str:
    """Name of the vault variable holding the camera's login (never the secret)."""
    return camera.credential or site.camera_credential or default_credential(site.id)


def analysis_stream(inv: Inventory, camera: Camera) -> AnalysisStream:
    """The camera's own substream, else its model's, else its main stream."""
    if camera.analysis_stream is not None:
        return camera.analysis_stream
    for model in inv.departement.camera_models:
        if model.id == camera.model:
            return model.analysis_stream
    return AnalysisStream(path=camera.rtsp_path, resolution=camera.resolution, fps=camera.fps)


def _closures(inv: Inventory, site: Site) -> list[dict[str, str]]:
    spans = [*inv.departement.closures, *site.closures]
    return [
        {"from": c.first.isoformat(), "to": c.last.isoformat()}
        for c in sorted(spans, key=lambda c: (c.first, c.last))
    ]


def _polygons(polys: Any) -> list[list[list[float]]]:
    return [[list(p) for p in poly] for poly in polys]


def camera_record(inv: Inventory, site: Site, cam: Camera, sp: SitePlan) -> dict[str, Any]:
    """One camera as recorders and detectors take it (INTERFACES: `recorder__cameras`)."""
    address = sp.camera_address(cam.id)
    timezone = site.timezone or inv.departement.timezone
    stream = analysis_stream(inv, cam)
    detection = None
    if cam.detection is not None:
        detection = {
            "classes": list(cam.detection.classes),
            "zones": {n: _polygons([p])[0] for n, p in cam.detection.zones.items()},
            "active": cam.detection.active,
            "opening_hours": site.opening_hours,
        }
    return {
        "id": cam.host_name,
        "address": address,
        "rtsp_url": f"rtsp://{address}:{RTSP_PORT}{cam.rtsp_path}",
        "credential": camera_credential(site, cam),
        "retention_days": cam.retention_days,
        "bitrate_kbps": cam.bitrate_kbps,
        "fps": cam.fps,
        "resolution": cam.resolution,
        "films_public_road": cam.films_public_road,
        "privacy_masks": _polygons(cam.privacy_masks),
        "recording": {
            "mode": cam.recording,
            "opening_hours": site.opening_hours,
            "timezone": timezone,
            "closures": _closures(inv, site),
        },
        "detection": detection,
        "analysis_stream": {
            "rtsp_url": f"rtsp://{address}:{RTSP_PORT}{stream.path}",
            "resolution": stream.resolution,
            "fps": stream.fps,
        },
        "snapshot_retention_days": cam.retention_days,
    }


# What the recorder role takes (INTERFACES.md, `recorder__cameras`).
RECORDER_CAMERA_KEYS = (
    "id",
    "address",
    "rtsp_url",
    "credential",
    "retention_days",
    "bitrate_kbps",
    "fps",
    "resolution",
    "films_public_road",
    "privacy_masks",
    "recording",
)


def detector_camera(site_id: str, camera_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """A camera entry of a detector configuration (credentials are added by Pulumi)."""
    stream = record["analysis_stream"]
    return {
        "id": camera_id,
        "site": site_id,
        "url": stream["rtsp_url"],
        "credential": record["credential"],
        "fps": stream["fps"],
        # Frames are downscaled to the width the capacity benchmark measured.
        "analysis_width": min(int(stream["resolution"].split("x")[0]), ANALYSIS_WIDTH),
        "analysis_stream": stream,
        "snapshot_retention_days": record["snapshot_retention_days"],
        "detection": (
            {k: v for k, v in record["detection"].items() if k != "opening_hours"}
            if record["detection"]
            else None
        ),
        "privacy_masks": record["privacy_masks"],
        "opening_hours": record["recording"]["opening_hours"],
        "timezone": record["recording"]["timezone"],
        "closures": record["recording"]["closures"],
    }


def _flow(src: str, dst: str, proto: str, port: int | None, why: str) -> dict[str, Any]:
    return {"from": src, "to": dst, "proto": proto, "port": port, "why": why}


def remote_links(inv: Inventory) -> dict[str, list[tuple[str, str, str]]]:
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
    inv: Inventory,
    site: Site,
    plan: NetworkPlan,
    links: list[tuple[str, str, str]],
    analyses: bool,
) -> list[dict[str, Any]]:
    """Allowed flows through the site gateway; everything else is denied.

    `from`/`to` name a network of the site (`cameras`, `recorders`,
    `management`, `agency`, `admin`) or are a prefix (another site's network,
    a host of the administration network).
    """
    dept = inv.departement
    flows = [
        _flow("recorders", "cameras", "tcp", RTSP_PORT, "recorders and detectors pull RTSP"),
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
            _flow("recorders", "admin", "tcp", MQTT_TLS_PORT, "detector events to MQTT (TLS)")
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
                    SEGMENT_PORT,
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
                    SNAPSHOT_PORT,
                    "the access gateway alone fetches an event's still image (granted, journaled)",
                )
            )
    for direction, other, role in links:
        if other not in plan.sites:
            continue
        if direction == "pulled-by":
            remote = str(plan.sites[other].prefixes["recorders"])
            flows.append(_flow(remote, "cameras", "tcp", RTSP_PORT, f"{role} at {other}"))
        else:
            remote = str(plan.sites[other].prefixes["cameras"])
            flows.append(_flow("recorders", remote, "tcp", RTSP_PORT, f"{role} of {other}"))
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


def _vlan(sp: SitePlan, name: str, address: str, gateway: str | None) -> dict[str, Any]:
    vlan = {
        "name": name,
        "vlan_id": sp.vlans[name],
        "prefix": str(sp.prefixes[name]),
        "address": address,
    }
    if gateway is not None:
        vlan["gateway"] = gateway
    return vlan


class _Builder:
    def __init__(self, inv: Inventory, options: InventoryOptions):
        self.inv = inv
        self.options = options
        self.plan = plan_network(inv)  # planned before trimming: addresses never move
        unknown = sorted(set(options.sites or ()) - set(inv.sites))
        if unknown:
            where = options.source or options.data_dir
            raise InventoryError(
                [Diagnostic(str(where), 1, "USAGE", f"unknown site id(s): {', '.join(unknown)}")]
            )
        limit = options.max_cameras_per_site
        self.sites: dict[str, Site] = {}
        for site in inv.sites.values():
            if options.sites is not None and site.id not in options.sites:
                continue
            cams = site.cameras if limit is None else site.cameras[:limit]
            self.sites[site.id] = site if cams is site.cameras else _with_cameras(site, cams)
        self.links = remote_links(inv)

    def _fleet(self) -> FleetPlan:
        dept = self.inv.departement
        per_core = self.options.cameras_per_core or dept.detection_capacity.cameras_per_core
        cores = {
            detector_host_name(s.id, h.id): h.cores
            for s in self.sites.values()
            for h in s.detector_hosts
        }
        try:
            return plan_fleet(
                SimpleNamespace(sites=self.sites), per_core, cores_of=lambda n: cores.get(n, 1)
            )
        except FleetError as exc:
            raise InventoryError(
                [Diagnostic(self.inv.path, 1, p.rule, p.message) for p in exc.problems]
            ) from None

    def build(self) -> DesiredState:
        inv, plan = self.inv, self.plan
        fleet = self._fleet()
        state = DesiredState(inventory=inv, network=plan, fleet=fleet)
        for site in self.sites.values():
            sp = plan.sites[site.id]
            for cam in site.cameras:
                state.cameras[f"{site.id}/{cam.id}"] = camera_record(inv, site, cam, sp)
        self._detectors(state)
        self._group_vars(state)
        for site in self.sites.values():
            self._site_hosts(state, site)
        self._central(state)
        return state

    def _central(self, state: DesiredState) -> None:
        """The datacenter hosts of the CA, broker and access gateway (group `central`),
        with the roles' inputs: the identities to issue and the broker's ACL, from
        the same fleet plan the detectors are deployed with."""
        hosts = self.inv.departement.central
        if not hosts:
            return
        from vigie.central import central_inputs  # it imports the desired state lazily

        inputs = central_inputs(self.inv, state.fleet)
        state.group_vars["central"] = {
            "pki__identities": inputs["identities"],
            "broker__acl": inputs["acl"],
            # The port the site gateways open to it (gateway_policy).
            "access_gateway__recorder_url": f"http://{{address}}:{SEGMENT_PORT}",
            # The detector hosts' still-image servers (detector_host__snapshot_port).
            "access_gateway__snapshot_url": f"http://{{address}}:{SNAPSHOT_PORT}",
        }
        for host in hosts:
            name = central_host_name(host.id)
            state.hosts[name] = ManagedHost(
                name, "central", "", ("central",), {"ansible_host": host.address}
            )

    def _detectors(self, state: DesiredState) -> None:
        dept_days = set(closure_days(self.inv.departement.closures))
        for shard in state.fleet.shards:
            # The detector takes one list of closed days per container: the
            # département's, plus the days every site of the container is closed.
            site_days = [set(closure_days(self.inv.sites[s].closures)) for s in shard.sites]
            shared = set.intersection(*site_days) if site_days else set()
            cams = [
                detector_camera(c.site_id, c.id, state.cameras[f"{c.site_id}/{c.id}"])
                for c in shard.cameras
            ]
            state.detectors[shard.resource_name] = {
                "host": shard.host,
                "container": shard.container_name,
                # One value per container until the detector reads it per camera.
                "snapshot_retention_days": min(c["snapshot_retention_days"] for c in cams),
                "timezone": self.inv.departement.timezone,
                "holidays": sorted(dept_days | shared),
                "cameras": cams,
            }

    def _group_vars(self, state: DesiredState) -> None:
        dept = self.inv.departement
        admin = str(self.plan.admin_prefix)
        managed = {
            "base__ntp_servers": list(dept.ntp_servers),
            "base__admins": [{"name": a.name, "ssh_keys": list(a.ssh_keys)} for a in dept.admins],
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
            "network__package_mirror": self._mirror(),
            # Kept for the lab's topology and older playbooks (docs/CONTRACT.md).
            "vigie_ntp_servers": list(dept.ntp_servers),
            "vigie_admins": [{"name": a.name, "ssh_keys": list(a.ssh_keys)} for a in dept.admins],
        }
        for group in MANAGED_GROUPS:
            state.group_vars[group] = managed
        state.group_vars["detector_hosts"] = {
            **managed,
            "detector_host__mqtt_prefixes": [admin],
            "detector_host__mqtt_port": MQTT_TLS_PORT,
        }
        for site in self.sites.values():
            sp = self.plan.sites[site.id]
            state.group_vars[site_group(site.id)] = {
                "vigie_site": self._site_vars(site),
                "vigie_site_prefixes": {**sp.prefix_strings(), "admin": admin},
            }

    def _mirror(self) -> dict[str, Any] | None:
        mirror = self.inv.departement.package_mirror
        if mirror is None:
            return None
        return {"address": mirror.address, "port": mirror.port, "proto": mirror.proto}

    def _site_vars(self, site: Site) -> dict[str, Any]:
        commune = reference().communes.get(site.insee)
        return {
            "id": site.id,
            "name": site.name,
            "kind": site.kind,
            "insee": site.insee,
            "commune": commune.name if commune else None,
            "epci": commune.epci if commune else None,
            "timezone": site.timezone or self.inv.departement.timezone,
        }

    def _site_groups(self, site: Site) -> list[str]:
        commune = reference().communes.get(site.insee)
        groups = [site_group(site.id), f"commune_{site.insee}", f"kind_{site.kind}"]
        if commune and commune.epci:
            groups.append(f"epci_{commune.epci}")
        force = self.inv.competent_force.get(site.insee)
        if force:
            groups.append(f"force_{force}")
        return groups

    def _routes(self, sp: SitePlan, destinations: list[str]) -> list[dict[str, str]]:
        """Data flows leave through the gateway on the recorders VLAN, per destination
        (the policy's source for RTSP and MQTT); the rest follows management."""
        via = sp.gateway("recorders")
        return [{"to": d, "via": via, "vlan": "recorders"} for d in destinations]

    def _data_vlans(self, sp: SitePlan, data: str, mgmt: str) -> list[dict[str, Any]]:
        return [
            _vlan(sp, "recorders", data, sp.gateway("recorders")),
            _vlan(sp, "management", mgmt, sp.gateway("management")),
        ]

    def _camera_prefixes(self, site_ids: set[str], fallback: str) -> list[str]:
        prefixes = sorted({str(self.plan.sites[s].prefixes["cameras"]) for s in site_ids})
        return prefixes or [fallback]

    def _site_hosts(self, state: DesiredState, site: Site) -> None:
        sp = self.plan.sites[site.id]
        groups = self._site_groups(site)
        admin = str(self.plan.admin_prefix)
        prefixes = {**sp.prefix_strings(), "admin": admin}
        own_cameras = str(sp.prefixes["cameras"])
        analyses = bool(site.detector_hosts) or any(
            d == "pulls" and r == "analysis" for d, _o, r in self.links[site.id]
        )
        gw = gateway_name(site.id)
        policy = gateway_policy(self.inv, site, self.plan, self.links[site.id], analyses)
        state.firewall[gw] = firewall_rules(policy, prefixes)
        vlans = [_vlan(sp, n, sp.gateway(n), None) for n in NETWORKS]
        state.hosts[gw] = ManagedHost(
            gw,
            "gateway",
            site.id,
            ("gateways", *groups),
            {
                "ansible_host": sp.gateway("management"),
                "network__vlans": vlans,
                "vigie_vlans": vlans,
                "vigie_policy": policy,
                "vigie_firewall_forward_rules": state.firewall[gw],
            },
        )
        recorded: dict[int, list[tuple[str, dict]]] = defaultdict(list)
        for other in self.sites.values():
            if other.recording_site != site.id:
                continue
            for cam in other.cameras:
                recorded[cam.recorder].append((other.id, state.cameras[f"{other.id}/{cam.id}"]))
        # The access gateway's hosts read every recorder's segments; replies
        # leave by the VLAN the request came in on (strict rp_filter), so each one is
        # routed through the site gateway on the recorders VLAN.
        readers = list(dict.fromkeys(h.address for h in self.inv.departement.central))
        for rec in site.recorders:
            name = recorder_name(site.id, rec.id)
            mgmt = sp.recorder_address(rec.id, "management")
            mine = recorded.get(rec.id, [])
            cams = [{k: r[k] for k in RECORDER_CAMERA_KEYS} for _s, r in mine]
            cam_prefixes = self._camera_prefixes({s for s, _r in mine}, own_cameras)
            vlans = self._data_vlans(sp, sp.recorder_address(rec.id), mgmt)
            recorder = {
                "storage_path": rec.storage_path,
                "disk_gb": rec.disk_gb,
                "purge_threshold_percent": rec.purge_threshold_percent,
            }
            state.hosts[name] = ManagedHost(
                name,
                "recorder",
                site.id,
                ("recorders", *groups),
                {
                    "ansible_host": mgmt,
                    "network__vlans": vlans,
                    "network__routes": self._routes(
                        sp, [*cam_prefixes, *(f"{a}/32" for a in readers)]
                    ),
                    "recorder__cameras": cams,
                    "recorder__camera_prefixes": cam_prefixes,
                    "recorder__storage_path": rec.storage_path,
                    "recorder__purge_threshold_percent": rec.purge_threshold_percent,
                    "monitoring__recordings_path": rec.storage_path,
                    "recorder__segment_readers": readers,
                    "recorder__segment_port": SEGMENT_PORT,
                    "vigie_vlans": vlans,
                    # The same list (serialised once): the lab's topology reads it.
                    "vigie_cameras": cams,
                    "vigie_recorder": recorder,
                },
            )
        by_host = {h.host.name: h for h in state.fleet.hosts}
        # The access gateway's hosts fetch the events' still images. The
        # replies must leave by the recorders VLAN, where the requests came in (strict
        # rp_filter): the administration prefix's route does it, central hosts are on
        # that prefix (NET-ADMIN-SERVICES).
        readers = list(dict.fromkeys(h.address for h in self.inv.departement.central))
        for det in site.detector_hosts:
            name = detector_host_name(site.id, det.id)
            mgmt = sp.detector_address(det.id, "management")
            host_plan = by_host.get(name)
            refs = host_plan.cameras if host_plan else ()
            cam_prefixes = self._camera_prefixes({c.site_id for c in refs}, own_cameras)
            vlans = self._data_vlans(sp, sp.detector_address(det.id), mgmt)
            state.hosts[name] = ManagedHost(
                name,
                "detector_host",
                site.id,
                ("detector_hosts", *groups),
                {
                    "ansible_host": mgmt,
                    "network__vlans": vlans,
                    "network__routes": self._routes(sp, [*cam_prefixes, admin]),
                    "detector_host__camera_prefixes": cam_prefixes,
                    "detector_host__snapshot_readers": readers,
                    "detector_host__snapshot_port": SNAPSHOT_PORT,
                    "detector_host__snapshot_path": SNAPSHOTS_HOST_PATH,
                    "vigie_vlans": vlans,
                    "vigie_detectors": [
                        {
                            "container": s.container_name,
                            "cameras": [f"{c.site_id}/{c.id}" for c in s.cameras],
                            # What the container reads (no credentials): the lab's
                            # camera simulators serve these paths too.
                            "streams": [
                                state.cameras[f"{c.site_id}/{c.id}"]["analysis_stream"]["rtsp_url"]
                                for c in s.cameras
                            ],
                        }
                        for s in (host_plan.shards if host_plan else ())
                    ],
                },
            )


def _with_cameras(site: Site, cameras: list[Camera]) -> Site:
    """A copy of `site` keeping only `cameras` (the lab's `max_cameras_per_site`)."""
    trimmed = site.model_copy()
    trimmed.cameras = list(cameras)
    return trimmed
