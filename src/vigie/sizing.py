"""Storage and fibre load: the figures the rules, the plan and the summary share."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from vigie.model import Camera, Inventory

HEADROOM = 1.2  # docs/sources.md, sizing: plan 20 % storage headroom
MAX_SEGMENT_LOAD = 0.70  # docs/sources.md, sizing: each fibre segment at most 70 % loaded
SECONDS_PER_DAY = 86_400


def camera_storage_gb(camera: Camera) -> float:
    """bytes = bitrate/8 x 86,400 x retention_days (docs/sources.md, sizing)."""
    return camera.bitrate_kbps * 1000 / 8 * SECONDS_PER_DAY * camera.retention_days / 1e9


def recorder_needs_gb(inv: Inventory) -> dict[tuple[str, int], float]:
    """(recording site, recorder number) -> GB needed with headroom."""
    need: dict[tuple[str, int], float] = defaultdict(float)
    for site in inv.sites.values():
        for cam in site.cameras:
            need[(site.recording_site, cam.recorder)] += camera_storage_gb(cam) * HEADROOM
    return dict(need)


@dataclass
class FibreTree:
    root: str | None
    parent: dict[str, tuple[str, str]] = field(default_factory=dict)  # pop -> (parent pop, segment)
    depth: dict[str, int] = field(default_factory=dict)

    def path(self, a: str, b: str) -> list[str] | None:
        """Segments between two points of presence, None when not connected."""
        if a not in self.depth or b not in self.depth:
            return None
        segments: list[str] = []
        while self.depth[a] > self.depth[b]:
            a, seg = self.parent[a][0], self.parent[a][1]
            segments.append(seg)
        while self.depth[b] > self.depth[a]:
            b, seg = self.parent[b][0], self.parent[b][1]
            segments.append(seg)
        while a != b:
            segments.append(self.parent[a][1])
            segments.append(self.parent[b][1])
            a, b = self.parent[a][0], self.parent[b][0]
        return segments


def fibre_tree(inv: Inventory) -> FibreTree:
    """Breadth-first tree from the datacenter: the route each stream takes."""
    roots = sorted(p.id for p in inv.points_of_presence.values() if p.kind == "datacenter")
    tree = FibreTree(roots[0] if roots else None)
    if tree.root is None:
        return tree
    adjacent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for seg in sorted(inv.segments.values(), key=lambda s: s.id):
        a, b = seg.ends
        adjacent[a].append((b, seg.id))
        adjacent[b].append((a, seg.id))
    tree.depth[tree.root] = 0
    queue = deque([tree.root])
    while queue:
        here = queue.popleft()
        for there, seg in adjacent[here]:
            if there not in tree.depth:
                tree.depth[there] = tree.depth[here] + 1
                tree.parent[there] = (here, seg)
                queue.append(there)
    return tree


def segment_loads_kbps(inv: Inventory, tree: FibreTree | None = None) -> dict[str, int]:
    """Planned load of each segment: every stream routed to where it is recorded
    and, for cameras with detection, to where it is analysed (counted in full)."""
    tree = tree or fibre_tree(inv)
    load = dict.fromkeys(inv.segments, 0)
    for site in inv.sites.values():
        destinations = [site.recording_site]
        for dest_with_detection in (site.analysing_site,):
            destinations.append(dest_with_detection)
        for index, dest_id in enumerate(destinations):
            dest = inv.sites.get(dest_id)
            if dest is None or dest.uplink == site.uplink:
                continue
            path = tree.path(site.uplink, dest.uplink)
            if not path:
                continue
            cams = site.cameras if index == 0 else [c for c in site.cameras if c.detection]
            kbps = sum(c.bitrate_kbps for c in cams)
            for seg in path:
                load[seg] += kbps
    return load
