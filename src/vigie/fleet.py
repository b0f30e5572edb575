"""Shard the lawfully analysable cameras onto detector hosts and their containers.

Pure model logic (no Pulumi, no Docker) so that the Pulumi program, the policy
pack and the tests share one answer to "which container watches which camera".

Rules encoded here:
- only cameras that ask for detection AND on which detection is lawful
  (``vigie.cameras.lawful_detection``: never a camera filming the public road) are
  ever placed in a shard;
- a detector container runs on one core and watches at most ``cameras_per_core``
  cameras (the figure measured by the detector benchmark), so a host offers
  ``cores`` shards of that size;
- cameras of one site stay together where possible: a site goes to its own
  detector host when it has one, and inside a host site groups are packed
  first-fit-decreasing into shards, split only when a site alone overflows a shard;
- everything is sorted and deterministic: the same inventory gives the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from vigie.cameras import lawful_detection
from vigie.names import detector_host_name

RULE_CAPACITY = "FLEET-CAPACITY"
RULE_NO_HOST = "FLEET-NO-DETECTOR-HOST"


@dataclass(frozen=True, order=True)
class CameraRef:
    """A camera to analyse, as far as sharding is concerned."""

    site_id: str
    id: str
    # Detector hosts allowed to analyse this camera; empty: any host.
    hosts: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, order=True)
class DetectorHostRef:
    """A host that runs detector containers."""

    name: str
    site_id: str
    cores: int


@dataclass(frozen=True)
class Shard:
    """The cameras one detector container watches."""

    index: int
    host: str
    cameras: tuple[CameraRef, ...]

    @property
    def container_name(self) -> str:
        return f"vigie-detector-{self.index}"

    @property
    def resource_name(self) -> str:
        return f"{self.host}-detector-{self.index}"

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(sorted({c.site_id for c in self.cameras}))


@dataclass(frozen=True)
class HostPlan:
    host: DetectorHostRef
    shards: tuple[Shard, ...]

    @property
    def cameras(self) -> tuple[CameraRef, ...]:
        return tuple(c for s in self.shards for c in s.cameras)


@dataclass(frozen=True)
class FleetProblem:
    rule: str
    message: str
    site_id: str | None = None


class FleetError(Exception):
    """The inventory asks for more detection than the detector hosts can give."""

    def __init__(self, problems: list[FleetProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.rule}: {p.message}" for p in problems))


@dataclass(frozen=True)
class FleetPlan:
    cameras_per_core: int
    hosts: tuple[HostPlan, ...]
    # "site/camera" -> why it is not analysed (no detection asked, or unlawful)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def shards(self) -> tuple[Shard, ...]:
        return tuple(s for h in self.hosts for s in h.shards)

    def shard_of(self, site_id: str, camera_id: str) -> Shard | None:
        wanted = CameraRef(site_id=site_id, id=camera_id)
        return next((s for s in self.shards if wanted in s.cameras), None)


def _pack_host(
    host: DetectorHostRef, groups: dict[str, list[CameraRef]], size: int
) -> tuple[Shard, ...]:
    """Pack site groups into shards of at most ``size`` cameras on one host."""
    chunks: list[list[CameraRef]] = []
    for site_id in sorted(groups):
        cams = sorted(groups[site_id])
        # A site larger than a shard fills whole shards first; its remainder is packed.
        while len(cams) > size:
            chunks.append(cams[:size])
            cams = cams[size:]
        if cams:
            chunks.append(cams)
    full = [c for c in chunks if len(c) == size]
    rest = sorted((c for c in chunks if len(c) < size), key=lambda c: (-len(c), c[0]))
    bins: list[list[CameraRef]] = [list(c) for c in full]
    for chunk in rest:  # first-fit decreasing keeps each remainder whole
        target = next((b for b in bins if len(b) + len(chunk) <= size), None)
        if target is None:
            bins.append(list(chunk))
        else:
            target.extend(chunk)
    if len(bins) > host.cores:
        # Keeping sites whole needs more containers than cores: fill densely instead.
        flat = [c for chunk in chunks for c in chunk]
        bins = [flat[i : i + size] for i in range(0, len(flat), size)]
    return tuple(
        Shard(index=i, host=host.name, cameras=tuple(sorted(b))) for i, b in enumerate(bins)
    )


def plan_shards(
    cameras: Iterable[CameraRef], hosts: Iterable[DetectorHostRef], cameras_per_core: int
) -> FleetPlan:
    """Place cameras on hosts and into shards.

    A camera may only go to one of its ``hosts`` (any host when empty). Cameras
    of one site with the same allowed hosts form a group; the most constrained
    groups are placed first, each on the roomiest allowed host that takes it
    whole (ties by name), split over several hosts only when none does.
    """
    if cameras_per_core < 1:
        raise ValueError("cameras_per_core must be at least 1")
    host_list = sorted(hosts)
    known = {h.name for h in host_list}
    groups: dict[tuple[str, tuple[str, ...]], list[CameraRef]] = {}
    for cam in sorted(cameras):
        groups.setdefault((cam.site_id, tuple(sorted(cam.hosts))), []).append(cam)
    free = {h.name: h.cores * cameras_per_core for h in host_list}
    placed: dict[str, dict[str, list[CameraRef]]] = {h.name: {} for h in host_list}
    problems: list[FleetProblem] = []

    def order(key: tuple[str, tuple[str, ...]]) -> tuple:
        site_id, allowed = key
        return (
            len(allowed) if allowed else len(host_list) + 1,
            -len(groups[key]),
            site_id,
            allowed,
        )

    for key in sorted(groups, key=order):
        site_id, allowed = key
        cams = groups[key]
        candidates = [h for h in host_list if not allowed or h.name in allowed]
        missing = sorted(set(allowed) - known)
        if not candidates:
            where = f" (asked for {', '.join(missing)})" if missing else ""
            problems.append(
                FleetProblem(
                    RULE_NO_HOST,
                    f"site {site_id}: {len(cams)} camera(s) ask for detection but no detector "
                    f"host can take them{where}",
                    site_id,
                )
            )
            continue
        roomiest = sorted(candidates, key=lambda h: (-free[h.name], h.name))
        whole = [h for h in roomiest if free[h.name] >= len(cams)]
        for host in whole[:1] or roomiest:
            take = min(free[host.name], len(cams))
            if take:
                placed[host.name].setdefault(site_id, []).extend(cams[:take])
                free[host.name] -= take
                cams = cams[take:]
            if not cams:
                break
        if cams:
            problems.append(
                FleetProblem(
                    RULE_CAPACITY,
                    f"site {site_id}: {len(cams)} camera(s) left without a detector "
                    f"(capacity {cameras_per_core} camera(s) per core); add cores or hosts",
                    site_id,
                )
            )
    if problems:
        raise FleetError(problems)
    plans = tuple(
        HostPlan(host=h, shards=_pack_host(h, placed[h.name], cameras_per_core)) for h in host_list
    )
    return FleetPlan(cameras_per_core=cameras_per_core, hosts=plans)


def plan_fleet(
    inventory: Any,
    cameras_per_core: int,
    cores_of: Callable[[str], int],
    lawful: Callable[[Any, Any], bool] | None = None,
) -> FleetPlan:
    """Plan the detector fleet of a loaded ``vigie`` inventory.

    A camera is analysed at its site's ``analysing_site`` (``analysed_at``), on
    detector host ``detector_host`` there when the camera names one, else on any
    of that site's detector hosts. ``cores_of(host_name)`` gives a host's cores
    (a stack setting: the inventory does not carry hardware); ``lawful``
    defaults to ``vigie.cameras.lawful_detection``.
    """
    lawful = lawful_detection if lawful is None else lawful
    hosts = [
        DetectorHostRef(name=name, site_id=site_id, cores=cores_of(name))
        for site_id, site in inventory.sites.items()
        for name in (detector_host_name(site_id, h.id) for h in site.detector_hosts)
    ]
    cameras: list[CameraRef] = []
    skipped: dict[str, str] = {}
    for site in inventory.sites.values():
        home = inventory.sites.get(site.analysing_site)
        home_hosts = (
            [detector_host_name(home.id, h.id) for h in home.detector_hosts] if home else []
        )
        for cam in site.cameras:
            key = f"{site.id}/{cam.id}"
            if cam.detection is None:
                skipped[key] = "no detection asked"
            elif not lawful(cam, site):
                skipped[key] = "detection not lawful here (LEGAL-DETECTION-PUBLIC-ROAD)"
            else:
                allowed = (
                    (detector_host_name(site.analysing_site, cam.detector_host),)
                    if cam.detector_host
                    else tuple(home_hosts) or (detector_host_name(site.analysing_site, 1),)
                )
                cameras.append(CameraRef(site_id=site.id, id=cam.id, hosts=allowed))
    plan = plan_shards(cameras, hosts, cameras_per_core)
    return FleetPlan(cameras_per_core=plan.cameras_per_core, hosts=plan.hosts, skipped=skipped)


def site_fleet(sites: dict[str, Any], cameras_per_core: int) -> FleetPlan:
    """The fleet plan of these sites, each detector host with the cores the inventory
    gives it: what the rules check, the desired state deploys and the broker admits."""
    cores = {
        detector_host_name(s.id, h.id): h.cores for s in sites.values() for h in s.detector_hosts
    }
    return plan_fleet(SimpleNamespace(sites=sites), cameras_per_core, lambda n: cores.get(n, 1))
