"""Fibre load and storage (docs/sources.md, "sizing": vigie's engineering figures)."""

from __future__ import annotations

from vigie.names import recorder_name
from vigie.rules import Context, Finding, rule
from vigie.sizing import MAX_SEGMENT_LOAD, recorder_needs_gb, segment_loads_kbps

SIZING = "sizing (docs/sources.md): 70 % max fibre load; storage = bitrate/8 x 86,400 x days x 1.2"


@rule(
    "FIBRE-TOPOLOGY", "vigie data model", "one datacenter, and every point of presence reaches it"
)
def topology(ctx: Context):
    dcs = [p for p in ctx.inv.points_of_presence.values() if p.kind == "datacenter"]
    if len(dcs) != 1:
        yield Finding(
            dcs[1] if len(dcs) > 1 else ctx.inv.departement,
            "kind" if len(dcs) > 1 else None,
            f"the fibre network needs exactly one datacenter point of presence (found {len(dcs)})",
        )
        return
    for pop in ctx.inv.points_of_presence.values():
        if pop.id not in ctx.tree.depth:
            yield Finding(
                pop,
                "id",
                f"point of presence {pop.id} is not connected to the datacenter",
                "add a segment towards the datacenter",
            )


@rule(
    "FIBRE-LOAD",
    SIZING,
    "the streams routed over each fibre segment stay at most 70 % of capacity_mbps",
)
def fibre_load(ctx: Context):
    loads = segment_loads_kbps(ctx.inv, ctx.tree)
    for seg_id, kbps in loads.items():
        seg = ctx.inv.segments[seg_id]
        limit = seg.capacity_mbps * 1000 * MAX_SEGMENT_LOAD
        if kbps > limit:
            yield Finding(
                seg,
                "capacity_mbps",
                f"segment {seg_id} would carry {kbps / 1000:.0f} Mbit/s, "
                f"{kbps / 10 / seg.capacity_mbps:.0f} % of {seg.capacity_mbps} Mbit/s (limit 70 %)",
                "record nearer the cameras, lower bitrates, or upgrade the segment",
            )


@rule(
    "STORAGE-DISK", SIZING, "each recorder's disk holds its cameras' retention with 20 % headroom"
)
def storage(ctx: Context):
    for (site_id, number), need in sorted(recorder_needs_gb(ctx.inv).items()):
        site = ctx.inv.sites.get(site_id)
        recorder = next((r for r in site.recorders if r.id == number), None) if site else None
        if recorder is not None and recorder.disk_gb < need:
            yield Finding(
                recorder,
                "disk_gb",
                f"recorder {recorder_name(site_id, number)} needs {need:.0f} GB, "
                f"has {recorder.disk_gb} GB",
                f"set disk_gb to at least {int(need) + 1} or lower retention/bitrates",
            )
