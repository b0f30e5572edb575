"""`vigie summary DIR`: sites, cameras, recorders, storage and fibre load at a glance."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from vigie.geography import reference
from vigie.model import Inventory
from vigie.netplan import plan_network
from vigie.sizing import MAX_SEGMENT_LOAD, recorder_needs_gb, segment_loads_kbps


def print_summary(inv: Inventory, console: Console | None = None) -> None:
    # Piped (make lab, CI logs): wide enough for the table rather than 80 columns.
    console = console or (Console() if sys.stdout.isatty() else Console(width=160))
    plan = plan_network(inv)
    needs = recorder_needs_gb(inv)
    communes = reference().communes

    sites = Table(title=f"vigie: {inv.path}: {len(inv.sites)} sites, {inv.camera_count()} cameras")
    for col in (
        "site",
        "kind",
        "commune",
        "cameras",
        "detection",
        "recorders",
        "disk GB",
        "needed GB",
        "cameras prefix",
        "VLANs",
    ):
        numeric = col in {"cameras", "detection", "disk GB", "needed GB"}
        # Identifiers are never wrapped or cut: operators copy them into commands.
        sites.add_column(
            col, justify="right" if numeric else "left", no_wrap=col in {"site", "recorders"}
        )
    for site in inv.sites.values():
        disk = sum(r.disk_gb for r in site.recorders)
        need = sum(v for (sid, _), v in needs.items() if sid == site.id)
        sp = plan.sites.get(site.id)
        commune = communes.get(site.insee)
        recorded = f"at {site.recorded_at}" if site.recorded_at else str(len(site.recorders))
        sites.add_row(
            site.id,
            site.kind,
            commune.name if commune else site.insee,
            str(len(site.cameras)),
            str(sum(1 for c in site.cameras if c.detection)),
            recorded,
            f"{disk:,}" if disk else "-",
            f"{need:,.0f}" if need else "-",
            str(sp.prefixes["cameras"]) if sp else "?",
            f"{min(sp.vlans.values())}-{max(sp.vlans.values())}" if sp else "?",
        )
    console.print(sites)

    fibre = Table(title="fibre segments: planned load (limit 70 %)")
    for col in ("segment", "ends", "capacity Mbit/s", "load Mbit/s", "load %"):
        fibre.add_column(
            col, justify="left" if col in {"segment", "ends"} else "right", no_wrap=col == "segment"
        )
    for seg_id, kbps in sorted(segment_loads_kbps(inv).items()):
        seg = inv.segments[seg_id]
        percent = kbps / 10 / seg.capacity_mbps
        style = "red" if percent > MAX_SEGMENT_LOAD * 100 else ""
        fibre.add_row(
            seg_id,
            " - ".join(seg.ends),
            f"{seg.capacity_mbps:,}",
            f"{kbps / 1000:,.1f}",
            f"{percent:.1f}",
            style=style,
        )
    console.print(fibre)
    total_disk = sum(r.disk_gb for s in inv.sites.values() for r in s.recorders)
    console.print(
        f"storage: {sum(needs.values()):,.0f} GB needed (with 20 % headroom), "
        f"{total_disk:,} GB of disks; recorders: "
        f"{sum(len(s.recorders) for s in inv.sites.values())}, detector hosts: "
        f"{sum(len(s.detector_hosts) for s in inv.sites.values())}"
    )
