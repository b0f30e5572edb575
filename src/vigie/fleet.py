"""Shard the lawfully analysable cameras onto detector hosts and their containers.

Pure model logic (no Pulumi, no Docker) so that the Pulumi program, the policy
pack and the tests share one answer to "which container watches which camera".

Rules encoded here:
- only cameras that ask for detection AND on which detection is lawful
  (``vigie.rules.lawful_detection``: never a camera filming the public road) are
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
from typing import Any

RULE_CAPACITY = "FLEET-CAPACITY"
RULE_NO_HOST = "FLEET-NO-DETECTOR-HOST"


@dataclass(frozen=True, order=True)
class CameraRef:
    """A camera to analyse, as far as sharding is concerned."""

    site_id: str
    id: str


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
    """Place cameras on hosts (own site first, then the roomiest host) and into shards."""
    if cameras_per_core < 1:
        raise ValueError("cameras_per_core must be at least 1")
    host_list = sorted(hosts)
    by_site: dict[str, list[CameraRef]] = {}
    for cam in sorted(cameras):
        by_site.setdefault(cam.site_id, []).append(cam)
    free = {h.name: h.cores * cameras_per_core for h in host_list}
    placed: dict[str, dict[str, list[CameraRef]]] = {h.name: {} for h in host_list}
    problems: list[FleetProblem] = []
    if by_site and not host_list:
        raise FleetError(
            [FleetProblem(RULE_NO_HOST, "cameras ask for detection but no detector host exists")]
        )

    def place(site_id: str, cams: list[CameraRef], candidates: list[DetectorHostRef]) -> None:
        for host in candidates:
            if not cams:
                return
            take = min(free[host.name], len(cams))
            if take:
                placed[host.name].setdefault(site_id, []).extend(cams[:take])
                free[host.name] -= take
                cams = cams[take:]
        if cams:
            problems.append(
                FleetProblem(
                    RULE_CAPACITY,
                    f"site {site_id}: {len(cams)} camera(s) left without a detector "
                    f"(capacity {cameras_per_core} camera(s) per core); add cores or hosts",
                )
            )

    own_sites = [s for s in by_site if any(h.site_id == s for h in host_list)]
    for site_id in own_sites:
        place(site_id, by_site[site_id], [h for h in host_list if h.site_id == site_id])
    # Sites without their own host, largest first, each onto the roomiest host
    # (ties by name) so that it stays on one host whenever it fits.
    others = sorted((s for s in by_site if s not in own_sites), key=lambda s: (-len(by_site[s]), s))
    for site_id in others:
        order = sorted(host_list, key=lambda h: (-free[h.name], h.name))
        fits = [h for h in order if free[h.name] >= len(by_site[site_id])]
        place(site_id, by_site[site_id], fits[:1] + [h for h in order if h not in fits[:1]])
    if problems:
        raise FleetError(problems)
    plans = tuple(
        HostPlan(host=h, shards=_pack_host(h, placed[h.name], cameras_per_core))
        for h in host_list
    )
    return FleetPlan(cameras_per_core=cameras_per_core, hosts=plans)


def plan_fleet(
    inventory: Any,
    cameras_per_core: int,
    cores_of: Callable[[Any], int],
    lawful: Callable[[Any, Any], bool] | None = None,
) -> FleetPlan:
    """Plan the detector fleet of a loaded ``vigie`` inventory.

    ``cores_of(detector_host)`` gives a host's cores (inventory value or stack
    default); ``lawful`` defaults to ``vigie.rules.lawful_detection``.
    """
    if lawful is None:
        from vigie.rules import lawful_detection as lawful
    cameras: list[CameraRef] = []
    skipped: dict[str, str] = {}
    hosts: list[DetectorHostRef] = []
    for site_id, site in inventory.sites.items():
        for host in site.detector_hosts:
            hosts.append(DetectorHostRef(name=_host_name(host), site_id=site_id, cores=cores_of(host)))
    for cam in inventory.cameras():
        site = inventory.sites[cam.site_id]
        if cam.detection is None:
            skipped[f"{cam.site_id}/{cam.id}"] = "no detection asked"
        elif not lawful(cam, site):
            skipped[f"{cam.site_id}/{cam.id}"] = "detection not lawful here (LEGAL-DETECTION-PUBLIC-ROAD)"
        else:
            cameras.append(CameraRef(site_id=cam.site_id, id=cam.id))
    plan = plan_shards(cameras, hosts, cameras_per_core)
    return FleetPlan(cameras_per_core=plan.cameras_per_core, hosts=plan.hosts, skipped=skipped)


def _host_name(host: Any) -> str:
    return host if isinstance(host, str) else host.name
