"""`vigie plan DIR --base REF`: what a change does, as Markdown for a PR comment.

The inventory at REF is extracted with `git archive` into a temporary folder
and both versions are loaded; the comparison lists sites and cameras added or
removed, the new prefixes and VLANs, fibre load and storage before -> after,
and the legal checklist of every new camera.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from vigie.errors import Diagnostic
from vigie.loader import check_inventory
from vigie.model import Camera, Inventory, Site
from vigie.netplan import plan_network
from vigie.rules import lawful_detection
from vigie.sizing import recorder_needs_gb, segment_loads_kbps


def _git(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True).stdout


def _extract_base(directory: Path, base: str, into: Path) -> Path | None:
    """The directory as it is at `base`, or None when it does not exist there."""
    _git(directory, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")  # unknown ref: raises
    top = Path(_git(directory, "rev-parse", "--show-toplevel").decode().strip())
    prefix = _git(directory, "rev-parse", "--show-prefix").decode().strip()
    try:
        archive = _git(top, "archive", "--format=tar", base, "--", prefix or ".")
    except subprocess.CalledProcessError:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    target = into / prefix
    return target if target.is_dir() else None


def _cell(before: float | None, after: float | None, unit: str) -> str:
    b = "-" if before is None else f"{before:,.0f}"
    a = "-" if after is None else f"{after:,.0f}"
    return f"{b} → {a} {unit}"


def _checklist(inv: Inventory, site: Site, cam: Camera) -> str:
    auth = inv.authorisations.get(site.authorisation)
    items = [
        f"retention {cam.retention_days} d (authorisation {site.authorisation}: "
        f"{auth.retention_days if auth else '?'} d, legal max 30)",
        "films the public road" if cam.films_public_road else "does not film the public road",
    ]
    if cam.sees_homes:
        items.append(f"sees homes: {len(cam.privacy_masks)} privacy mask(s)")
    if cam.detection:
        lawful = "lawful" if lawful_detection(cam, site) else "NOT LAWFUL"
        items.append(f"detection {'/'.join(cam.detection.classes)} ({lawful})")
    items.append("purposes: " + ", ".join(cam.purposes))
    return "; ".join(items)


def render_plan(before: Inventory | None, after: Inventory, diags: list[Diagnostic]) -> str:
    out = ["## vigie plan", ""]
    errors = [d for d in diags if d.severity == "error"]
    warnings = [d for d in diags if d.severity == "warning"]
    out.append(
        f"**{'valid' if not errors else 'INVALID'}**: {len(after.sites)} sites, "
        f"{after.camera_count()} cameras; {len(errors)} error(s), {len(warnings)} warning(s)."
    )
    out.append("")
    if diags:
        out += ["```", *(d.format() for d in diags), "```", ""]
    old_sites = before.sites if before else {}
    added = [s for s in after.sites.values() if s.id not in old_sites]
    removed = [s for s in old_sites.values() if s.id not in after.sites]
    plan = plan_network(after)

    out += ["### Sites", ""]
    if not added and not removed:
        out.append("No site added or removed.")
    for site in added:
        sp = plan.sites.get(site.id)
        nets = (
            ", ".join(f"{n} {sp.prefixes[n]} (VLAN {sp.vlans[n]})" for n in sp.prefixes)
            if sp
            else "?"
        )
        out.append(
            f"- **added** `{site.id}` ({site.kind}, INSEE {site.insee}): "
            f"{len(site.cameras)} cameras; {nets}"
        )
    for site in removed:
        out.append(
            f"- **removed** `{site.id}` ({len(site.cameras)} cameras); its slot stays reserved"
        )
    out.append("")

    out += ["### Cameras", ""]
    changes = 0
    for site in after.sites.values():
        old = {c.id for c in old_sites[site.id].cameras} if site.id in old_sites else set()
        for cam in site.cameras:
            if cam.id not in old:
                changes += 1
                address = (
                    plan.sites[site.id].camera_address(cam.id) if site.id in plan.sites else "?"
                )
                out.append(
                    f"- **added** `{cam.host_name}` {address}: {_checklist(after, site, cam)}"
                )
        new_ids = {c.id for c in site.cameras}
        for cid in sorted(old - new_ids):
            changes += 1
            out.append(f"- **removed** `{site.id}-{cid}`")
    for site in removed:
        changes += len(site.cameras)
    if not changes:
        out.append("No camera added or removed.")
    out.append("")

    out += [
        "### Fibre load (limit 70 %)",
        "",
        "| segment | capacity | load before → after |",
        "|---|---|---|",
    ]
    load_before = segment_loads_kbps(before) if before else {}
    for seg_id, kbps in sorted(segment_loads_kbps(after).items()):
        seg = after.segments[seg_id]
        prev = load_before.get(seg_id)
        if prev != kbps:
            out.append(
                f"| {seg_id} | {seg.capacity_mbps:,} Mbit/s | "
                f"{_cell(None if prev is None else prev / 1000, kbps / 1000, 'Mbit/s')} "
                f"({kbps / 10 / seg.capacity_mbps:.1f} %) |"
            )
    if out[-1] == "|---|---|---|":
        out.append("| (no change) | | |")
    out.append("")

    out += [
        "### Storage per recorder",
        "",
        "| recorder | disk | needed before → after |",
        "|---|---|---|",
    ]
    need_before = recorder_needs_gb(before) if before else {}
    for (sid, n), need in sorted(recorder_needs_gb(after).items()):
        prev = need_before.get((sid, n))
        if prev is None or abs(prev - need) > 0.5:
            disk = (
                next((r.disk_gb for r in after.sites[sid].recorders if r.id == n), None)
                if sid in after.sites
                else None
            )
            out.append(f"| {sid}-rec{n} | {disk or '?':,} GB | {_cell(prev, need, 'GB')} |")
    if out[-1] == "|---|---|---|":
        out.append("| (no change) | | |")
    out.append("")
    return "\n".join(out)


def plan_change(
    directory: Path, *, base: str = "HEAD", today: dt.date | None = None
) -> tuple[str, int]:
    after, diags = check_inventory(directory, today=today)
    if after is None:
        text = (
            "## vigie plan\n\n**INVALID**\n\n```\n"
            + "\n".join(d.format() for d in diags)
            + "\n```\n"
        )
        return text, 1
    with tempfile.TemporaryDirectory(prefix="vigie-plan-") as tmp:
        try:
            base_dir = _extract_base(Path(directory).resolve(), base, Path(tmp))
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            return f"vigie plan: cannot read git ref {base!r}: {exc}\n", 2
        before = check_inventory(base_dir, today=today)[0] if base_dir else None
    code = 1 if any(d.severity == "error" for d in diags) else 0
    return render_plan(before, after, diags), code
