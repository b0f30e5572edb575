"""What the lab must run, derived from the desired state.

The lab never plans addresses itself: it builds the model's desired state for
its entry point (`inventories/lab`) with the options the vigie inventory plugin
reads there, so it sees the hosts and role inputs Ansible gets
(docs/CONTRACT.md), and turns them into docker networks (one per VLAN of a
site), systemd containers at the planned addresses, camera simulators at the
cameras' planned addresses and the few lab-only helpers (MQTT broker, probes).
`build` is a pure function of the state, unit-tested on the lab's entry point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netaddr import IPAddress, IPNetwork

from vigie.desired import DesiredState, ManagedHost
from vigie.errors import InventoryError
from vigie.loader import load_inventory
from vigie.options import OptionsError, read_options

PREFIX = "vigie-lab-"
# The kinds of site hosts the lab runs (central hosts are laid out apart).
HOST_KINDS = ("recorder", "detector_host", "gateway")
SITE_VLANS = ("cameras", "recorders", "management", "agency")


class TopologyError(ValueError):
    """The inventory cannot be laid out as a lab (message says what and where)."""


@dataclass(frozen=True)
class Segment:
    name: str
    site: str | None
    vlan: str
    prefix: str
    controller_address: str


@dataclass
class LabHost:
    name: str
    container: str
    site: str
    kind: str
    ansible_host: str
    addresses: dict[str, str]
    segments: dict[str, str]
    storage_path: str | None = None
    # (prefix, via): the site's other VLANs and the admin prefix go through the
    # site gateway (see _route_via); docker's default route (the machine
    # running the lab) stays for apt only.
    routes: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LabCamera:
    id: str
    site: str
    host: str
    container: str
    address: str
    segment: str
    rtsp_url: str
    credential: str
    recorder: str
    # The analysis substreams the lab's detectors read (a camera serves both).
    analysis_paths: tuple[str, ...] = ()
    # The model's key-frame interval for this camera, which the simulator honours.
    keyframe_seconds: float = 1


@dataclass(frozen=True)
class Probe:
    container: str
    site: str
    segment: str
    address: str
    via: str


@dataclass(frozen=True)
class AdminProbe:
    """A workstation of the administration network (where administrators sit):
    it reaches each site through that site's gateway uplink, like the broker."""

    container: str
    segment: str
    address: str
    routes: list[tuple[str, str]]


@dataclass(frozen=True)
class Mirror:
    """The département's package mirror, at the address the inventory names."""

    container: str
    segment: str
    address: str
    port: int
    routes: list[tuple[str, str]]


@dataclass(frozen=True)
class Central:
    """A datacenter host of the central services (CA, broker, access gateway), at the
    model's address on the administration network; it answers each site through
    that site's gateway uplink."""

    name: str
    container: str
    segment: str
    address: str
    routes: list[tuple[str, str]]


@dataclass(frozen=True)
class Witness:
    """A host of the audit journal's witness (the DPO's), at the model's address on
    the administration network, apart from the central host: it pulls the journal
    from there (same segment, no route needed)."""

    name: str
    container: str
    segment: str
    address: str


@dataclass
class Topology:
    segments: list[Segment]
    hosts: list[LabHost]
    cameras: list[LabCamera]
    probes: list[Probe]
    broker_segment: str
    broker_address: str
    # The broker answers each site through that site's gateway uplink.
    broker_routes: list[tuple[str, str]] = field(default_factory=list)
    admin_probe: AdminProbe | None = None
    mirror: Mirror | None = None
    central: list[Central] = field(default_factory=list)
    witnesses: list[Witness] = field(default_factory=list)

    def segment(self, name: str) -> Segment:
        return next(s for s in self.segments if s.name == name)

    def as_dict(self) -> dict:
        return asdict(self)


def _controller_address(prefix: IPNetwork) -> IPAddress:
    # The last usable address (.254 of a /24): the plan keeps it free for the
    # host-side bridge, i.e. the machine running Ansible.
    return IPAddress(prefix.last - 1)


def _segment_name(site: str | None, vlan: str) -> str:
    return f"{PREFIX}{vlan}" if site is None else f"{PREFIX}{site}-{vlan}"


def _host_vars(state: DesiredState, host: ManagedHost) -> dict[str, Any]:
    """A host's inputs as Ansible sees them: its groups' variables under its own."""
    merged: dict[str, Any] = {}
    for group in host.groups:
        merged.update(state.group_vars.get(group, {}))
    return {**merged, **host.vars}


def _collect_segments(state: DesiredState, managed: list[ManagedHost]) -> dict[str, Segment]:
    """One segment per distinct prefix: the site VLANs plus the shared admin prefix."""
    by_prefix: dict[str, Segment] = {}

    def add(site: str | None, vlan: str, prefix: str) -> None:
        net = IPNetwork(prefix)
        key = str(net.cidr)
        seg = Segment(_segment_name(site, vlan), site, vlan, key, str(_controller_address(net)))
        old = by_prefix.get(key)
        if old is not None and old.name != seg.name:
            raise TopologyError(f"prefix {key} is both {old.name} and {seg.name}")
        by_prefix[key] = seg

    admin = str(state.network.admin_prefix)
    for host in managed:
        prefixes = state.network.sites[host.site].prefix_strings()
        for vlan in SITE_VLANS:
            if prefixes.get(vlan):
                add(host.site, vlan, prefixes[vlan])
        add(None, "admin", admin)
        for vlan in host.vars.get("network__vlans", []):
            shared = vlan["name"] == "admin"
            add(None if shared else host.site, vlan["name"], vlan["prefix"])
    return by_prefix


def _segment_of(address: str, segments: dict[str, Segment], what: str) -> Segment:
    ip = IPAddress(address)
    for seg in segments.values():
        if ip in IPNetwork(seg.prefix):
            if ip == IPAddress(seg.controller_address):
                raise TopologyError(
                    f"{what}: address {address} is the lab controller's ({seg.name})"
                )
            return seg
    raise TopologyError(f"{what}: address {address} is in no planned prefix")


def _free_address(seg: Segment, used: set[str]) -> str:
    """Highest free address below the controller's: deterministic, away from the plan."""
    net = IPNetwork(seg.prefix)
    candidate = IPAddress(seg.controller_address) - 1
    while int(candidate) > net.first + 1:
        if str(candidate) not in used:
            used.add(str(candidate))
            return str(candidate)
        candidate -= 1
    raise TopologyError(f"no free address left in {seg.name} ({seg.prefix})")


def _route_via(vlans: list[dict]) -> str | None:
    """The site gateway's address on the VLAN a host's data flows leave from.

    The access policy names the recorders VLAN as the source of the flows to
    the cameras (RTSP) and to the administration network (MQTT events), so
    hosts on it route through the gateway there; management otherwise.
    Used only when the inventory gives no `network__routes`.
    """
    by_name = {v["name"]: v.get("gateway") for v in vlans}
    return by_name.get("recorders") or by_name.get("management")


def _host_routes(hv: dict, site: str, segments: dict[str, Segment]) -> list[tuple[str, str]]:
    """The routes of a recorder or detector host, as production has them.

    The model's `network__routes` (per destination, through the gateway on the
    VLAN the flow leaves from) come first; every other prefix of the site and
    the administration prefix go through the gateway on management, which is
    production's default route (the lab keeps docker's default for apt only).
    """
    vlans = hv["network__vlans"]
    attached = {v["prefix"] for v in vlans}
    model = hv.get("network__routes")
    if model is None:
        via = _route_via(vlans)
        if not via:
            return []
        model = [
            {"to": seg.prefix, "via": via}
            for seg in sorted(segments.values(), key=lambda s: s.name)
            if seg.site in (site, None) and seg.prefix not in attached
        ]
    routes = [(str(IPNetwork(r["to"]).cidr), r["via"]) for r in model]
    default = next((v.get("gateway") for v in vlans if v["name"] == "management"), None)
    mirror = hv.get("network__package_mirror")
    if default and mirror:
        # What the network role renders in production: the mirror's flow
        # leaves from management (the gateway's policy), whatever else is routed.
        host = f"{mirror['address']}/32"
        inside = any(IPAddress(mirror["address"]) in IPNetwork(p) for p in attached)
        if not inside and host not in {to for to, _via in routes}:
            routes.append((host, default))
    if default:
        covered = {to for to, _via in routes}
        routes += [
            (seg.prefix, default)
            for seg in sorted(segments.values(), key=lambda s: s.name)
            if seg.site in (site, None) and seg.prefix not in attached | covered
        ]
    return routes


def load(entry: str | Path) -> Topology:
    """The lab of an inventory entry point (a `vigie.yml` or its directory), built
    from the model with the options the inventory plugin reads there."""
    try:
        options = read_options(entry)
        state = DesiredState.build(load_inventory(options.data_dir), options)
    except OptionsError as exc:
        raise TopologyError(str(exc)) from None
    except InventoryError as exc:
        raise TopologyError("\n".join(d.format() for d in exc.errors)) from None
    return build(state)


def build(state: DesiredState) -> Topology:
    """Lay out the lab from the desired state, as the inventory plugin serialises it."""
    site_hosts = sorted(
        (h for h in state.hosts.values() if h.kind in HOST_KINDS), key=lambda h: h.name
    )
    if not site_hosts:
        raise TopologyError("the inventory has no recorder, detector host or gateway")
    hostvars = {h.name: _host_vars(state, h) for h in state.hosts.values()}
    managed = [h.name for h in site_hosts]
    segments = _collect_segments(state, site_hosts)
    used = {s.controller_address for s in segments.values()}
    central_names = sorted(h.name for h in state.hosts.values() if h.kind == "central")
    witness_names = sorted(h.name for h in state.hosts.values() if h.kind == "witness")
    for name in central_names + witness_names:
        used.add(hostvars[name]["ansible_host"])

    hosts: list[LabHost] = []
    cameras: dict[str, LabCamera] = {}
    analysis_paths: dict[str, set[str]] = {}
    for name in managed:
        for detector in hostvars[name].get("vigie_detectors", []):
            for url in detector.get("streams", []):
                parts = urlsplit(url)
                analysis_paths.setdefault(parts.hostname or "", set()).add(parts.path)
    for host in site_hosts:
        name, site, kind, hv = host.name, host.site, host.kind, hostvars[host.name]
        addresses: dict[str, str] = {}
        on: dict[str, str] = {}
        for vlan in hv.get("network__vlans", []):
            on[vlan["name"]] = _segment_of(vlan["address"], segments, name).name
            addresses[vlan["name"]] = vlan["address"]
            used.add(vlan["address"])
        if "ansible_host" not in hv:
            raise TopologyError(f"{name}: no ansible_host (management address)")
        if hv["ansible_host"] not in addresses.values():
            raise TopologyError(f"{name}: ansible_host {hv['ansible_host']} is on no interface")
        storage = hv.get("recorder__storage_path")
        routes = [] if kind == "gateway" else _host_routes(hv, site, segments)
        hosts.append(
            LabHost(
                name, PREFIX + name, site, kind, hv["ansible_host"], addresses, on, storage, routes
            )
        )
        if kind != "recorder":
            continue
        for cam in hv.get("recorder__cameras", []):
            seg = _segment_of(cam["address"], segments, f"{name}: camera {cam['id']}")
            used.add(cam["address"])
            # Camera ids are already the host names `<site>-<camera>` (the model's);
            # an older plugin gave the bare camera id.
            host = cam["id"] if cam["id"].startswith(f"{site}-") else f"{site}-{cam['id']}"
            cameras.setdefault(
                host,
                LabCamera(
                    cam["id"],
                    site,
                    host,
                    PREFIX + host,
                    cam["address"],
                    seg.name,
                    cam["rtsp_url"],
                    cam["credential"],
                    name,
                    tuple(sorted(analysis_paths.get(cam["address"], ()))),
                    keyframe_seconds=cam["keyframe_seconds"],
                ),
            )

    for h in managed:
        if hostvars[h].get("network__package_mirror"):
            used.add(hostvars[h]["network__package_mirror"]["address"])
    gateways = {h.site: h for h in hosts if h.kind == "gateway"}
    admin = [s for s in segments.values() if s.vlan == "admin"]
    for gw in gateways.values():
        if admin and "admin" not in gw.addresses:
            # The gateway's fibre uplink towards the administration network is
            # not a VLAN of the plan; the lab stands in for it with a leg on
            # the admin segment.
            gw.addresses["uplink"] = _free_address(admin[0], used)
            gw.segments["uplink"] = admin[0].name
    # The fibre between sites: each gateway reaches another site's prefixes
    # through that site's gateway uplink (a commune's cameras recorded at the
    # datacenter cross both gateways' forward chains).
    for gw in gateways.values():
        gw.routes = [
            (seg.prefix, other.addresses["uplink"])
            for other in gateways.values()
            if other is not gw and "uplink" in other.addresses
            for seg in sorted(segments.values(), key=lambda s: s.name)
            if seg.site == other.site
        ]
    probes = []
    for seg in sorted(segments.values(), key=lambda s: s.name):
        if seg.vlan != "agency" or seg.site not in gateways:
            continue
        via = gateways[seg.site].addresses.get("agency")
        if via is None:
            raise TopologyError(f"{gateways[seg.site].name}: gateway has no agency interface")
        probes.append(
            Probe(
                f"{PREFIX}{seg.site}-probe-agency",
                seg.site,
                seg.name,
                _free_address(seg, used),
                via,
            )
        )

    if admin:
        broker_seg = admin[0]
    else:
        broker_seg = next(
            s for s in sorted(segments.values(), key=lambda s: s.name) if s.vlan == "management"
        )
    broker_address = _free_address(broker_seg, used)
    broker_routes = [
        (seg.prefix, gw.addresses["uplink"])
        for gw in gateways.values()
        if "uplink" in gw.addresses
        for seg in sorted(segments.values(), key=lambda s: s.name)
        if seg.site == gw.site
    ]
    mirror = None
    given = next(
        (
            hostvars[h]["network__package_mirror"]
            for h in managed
            if hostvars[h].get("network__package_mirror")
        ),
        None,
    )
    if given:
        seg = _segment_of(given["address"], segments, "package mirror")
        mirror = Mirror(
            f"{PREFIX}mirror", seg.name, given["address"], int(given["port"]), broker_routes
        )
    admin_probe = None
    if admin and broker_routes:
        admin_probe = AdminProbe(
            f"{PREFIX}probe-admin",
            admin[0].name,
            _free_address(admin[0], used),
            broker_routes,
        )

    def placed(name: str) -> tuple[str, str, str, str]:
        """A datacenter host's name, container, segment and address (the model's)."""
        address = hostvars[name]["ansible_host"]
        # vigie-central1 -> vigie-lab-central1 (not vigie-lab-vigie-central1)
        container = PREFIX + name.removeprefix("vigie-")
        return name, container, _segment_of(address, segments, name).name, address

    central = [Central(*placed(name), broker_routes) for name in central_names]
    witnesses = [Witness(*placed(name)) for name in witness_names]
    return Topology(
        sorted(segments.values(), key=lambda s: s.name),
        hosts,
        sorted(cameras.values(), key=lambda c: c.host),
        probes,
        broker_seg.name,
        broker_address,
        broker_routes,
        admin_probe,
        mirror,
        central,
        witnesses,
    )
