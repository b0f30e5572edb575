"""`netplan.lock.yml`: the committed record of every allocation, read and written.

The lock is input like any data file (a pull request can edit it), so it is
read with the same parser (duplicate keys, aliases, tags, size cap, never a
FIFO) and its shape is checked field by field, each error at its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vigie.errors import Diagnostic
from vigie.model import Inventory
from vigie.netplan import plan_network
from vigie.yamlsrc import LDict, YamlProblem, load_yaml_text, read_text_file

LOCK_NAME = "netplan.lock.yml"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
REGENERATE = "never edit it by hand: restore it from the target branch, then `vigie lock DIR`"

HEADER = """\
# Network allocations of this inventory, written by `vigie lock DIR`.
# Commit this file. Never edit or reuse an allocated entry: a site keeps its
# slot (its /22 and VLAN ids) for life, a camera its number (its address) as
# long as it exists; a removed camera's number is released when this file is
# rewritten.
"""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def lock_shape_problems(data: Any, shown: str) -> list[Diagnostic]:
    """Every way the parsed lock departs from {sites: {slug: {slot, cameras}}}."""
    out: list[Diagnostic] = []

    def bad(where: Any, message: str) -> None:
        out.append(Diagnostic(shown, where.line, "NET-LOCK", message, REGENERATE))

    if not isinstance(data, LDict):
        return [Diagnostic(shown, 1, "NET-LOCK", "the lock is a mapping with `sites`", REGENERATE)]
    for key in data:
        if key != "sites":
            bad(data.value_src(key), f"unknown key {key!r} (the lock holds only `sites`)")
    sites = data.get("sites")
    if sites is None:
        return out
    if not isinstance(sites, LDict):
        bad(data.value_src("sites"), "`sites` must map each site id to its slot")
        return out
    for sid, entry in sites.items():
        at = sites.value_src(sid)
        if not isinstance(sid, str) or not SLUG.match(sid):
            bad(at, f"{sid!r} is not a site id")
        if not isinstance(entry, LDict):
            bad(at, f"site {sid}: expected {{slot: N, cameras: {{...}}}}")
            continue
        for key in entry:
            if key not in ("slot", "cameras"):
                bad(entry.value_src(key), f"site {sid}: unknown key {key!r}")
        slot = entry.get("slot")
        # Shape only here; a slot or number beyond the plan's room is NET-CAPACITY.
        if not _is_int(slot) or slot < 0:
            bad(entry.value_src("slot"), f"site {sid}: slot must be a non-negative integer")
        cameras = entry.get("cameras")
        if cameras is None:
            continue
        if not isinstance(cameras, LDict):
            bad(entry.value_src("cameras"), f"site {sid}: `cameras` maps camera ids to numbers")
            continue
        for cid, number in cameras.items():
            where = cameras.value_src(cid)
            if not isinstance(cid, str) or not SLUG.match(cid):
                bad(where, f"site {sid}: {cid!r} is not a camera id")
            if not _is_int(number) or number < 1:
                bad(where, f"site {sid}, camera {cid}: number must be a positive integer")
    return out


def read_lock(path: Path, shown: str) -> tuple[dict, list[Diagnostic]]:
    """(lock data, diagnostics); the data is {} whenever anything is wrong."""
    try:
        data, problems = load_yaml_text(read_text_file(path, shown), shown)
    except YamlProblem as problem:
        return {}, [problem.diagnostic]
    problems = problems + lock_shape_problems(data, shown)
    if problems:
        return {}, problems
    return data, []


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
    old = inv.lock.get("sites") or {} if inv.lock else {}
    gone = {sid: entry for sid, entry in old.items() if sid not in inv.sites}
    for sid, entry in sorted(gone.items()):
        cams = ", ".join(f"{c}: {n}" for c, n in (entry.get("cameras") or {}).items())
        text += f"  {sid}:  # site removed; slot kept so it is never reused\n"
        text += f"    slot: {entry.get('slot')}\n    cameras: {{{cams}}}\n"
    target = root / LOCK_NAME
    tmp = target.with_name(f".{LOCK_NAME}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)  # atomic: a crash never leaves half a lock
    return len(plan.unlocked)
