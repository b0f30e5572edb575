"""What every part of the build reads: the model, its network plan, the sites kept
by the entry point's options, and who pulls whose streams."""

from __future__ import annotations

from dataclasses import dataclass

from vigie.desired import constants
from vigie.desired.flows import Link, remote_links
from vigie.errors import Diagnostic, InventoryError
from vigie.model import Camera, Inventory, Site
from vigie.netplan import NetworkPlan, plan_network
from vigie.options import InventoryOptions


@dataclass(frozen=True)
class Scope:
    inv: Inventory
    plan: NetworkPlan
    sites: dict[str, Site]
    links: dict[str, list[Link]]
    # The recorders' segment length: the entry point's, else the model's. The
    # recorders cut at it and the gateway's playlists count on it.
    segment_seconds: int = constants.SEGMENT_SECONDS

    @property
    def admin_prefix(self) -> str:
        return str(self.plan.admin_prefix)

    @property
    def central_addresses(self) -> list[str]:
        """The access gateway's hosts: the only readers of segments and still images."""
        return list(dict.fromkeys(h.address for h in self.inv.departement.central))


def select(inv: Inventory, options: InventoryOptions) -> Scope:
    """The sites the options keep, each trimmed to `max_cameras_per_site` (the lab)."""
    unknown = sorted(set(options.sites or ()) - set(inv.sites))
    if unknown:
        where = options.source or options.data_dir
        raise InventoryError(
            [Diagnostic(str(where), 1, "USAGE", f"unknown site id(s): {', '.join(unknown)}")]
        )
    limit = options.max_cameras_per_site
    sites: dict[str, Site] = {}
    for site in inv.sites.values():
        if options.sites is not None and site.id not in options.sites:
            continue
        cams = site.cameras if limit is None else site.cameras[:limit]
        sites[site.id] = site if cams is site.cameras else _with_cameras(site, cams)
    # Planned on the whole inventory, before trimming: addresses never move.
    segment_seconds = options.segment_seconds or constants.SEGMENT_SECONDS
    return Scope(inv, plan_network(inv), sites, remote_links(inv), segment_seconds)


def _with_cameras(site: Site, cameras: list[Camera]) -> Site:
    """A copy of `site` keeping only `cameras`."""
    trimmed = site.model_copy()
    trimmed.cameras = list(cameras)
    return trimmed
