"""Write `netplan.lock.yml`: the committed record of every allocation."""

from __future__ import annotations

from pathlib import Path

from vigie.loader import LOCK_NAME
from vigie.model import Inventory
from vigie.netplan import plan_network

HEADER = """\
# Network allocations of this inventory, written by `vigie lock DIR`.
# Commit this file. Never edit or reuse an allocated entry: a site keeps its
# slot (its /22 and VLAN ids) for life, a camera its number (its address) as
# long as it exists; a removed camera's number is released when this file is
# rewritten.
"""


def render_lock(inv: Inventory) -> str:
    plan = plan_network(inv)
    lines = [HEADER.rstrip("\n"), "sites:"]
    for sid, sp in sorted(plan.sites.items()):
        cams = ", ".join(
            f"{cid}: {n}" for cid, n in sorted(sp.camera_numbers.items(), key=lambda x: x[1])
        )
        lines.append(f"  {sid}:")
        lines.append(f"    slot: {sp.slot}")
        lines.append(f"    cameras: {{{cams}}}")
    return "\n".join(lines) + "\n"


def write_lock(inv: Inventory, root: Path) -> int:
    """Write the lock; keep entries of sites that are gone (their slots stay taken)."""
    plan = plan_network(inv)
    text = render_lock(inv)
    old = inv.lock.get("sites", {}) if inv.lock else {}
    gone = {sid: entry for sid, entry in old.items() if sid not in inv.sites}
    for sid, entry in sorted(gone.items()):
        cams = ", ".join(f"{c}: {n}" for c, n in (entry.get("cameras") or {}).items())
        text += f"  {sid}:  # site removed; slot kept so it is never reused\n"
        text += f"    slot: {entry.get('slot')}\n    cameras: {{{cams}}}\n"
    (root / LOCK_NAME).write_text(text, encoding="utf-8")
    return len(plan.unlocked)
