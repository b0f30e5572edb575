"""The network plan (ANSSI note on vidéoprotection, 2013: a dedicated video network)."""

from __future__ import annotations

import re

from netaddr import AddrFormatError, IPNetwork

from vigie.netplan import MAX_CAMERAS_PER_SITE
from vigie.rules import Context, Finding, rule

ANSSI = "ANSSI, recommandations vidéoprotection (2013)"


def _private(net: IPNetwork) -> bool:
    return net[0].is_ipv4_private_use() and net[-1].is_ipv4_private_use()


def _network(text: str) -> IPNetwork | None:
    try:
        net = IPNetwork(text)
    except (AddrFormatError, ValueError, TypeError):
        return None
    return net if net.version == 4 and net.ip == net.network else None


def _unplannable(dept) -> bool:
    """No plan without both networks (NET-PREFIX says why): never compute one then."""
    return _network(dept.supernet) is None or _network(dept.admin_prefix) is None


@rule(
    "NET-PREFIX",
    ANSSI,
    "the supernet and admin prefix are private IPv4 networks that do not overlap",
)
def prefixes_valid(ctx: Context):
    dept = ctx.inv.departement
    supernet, admin = _network(dept.supernet), _network(dept.admin_prefix)
    if supernet is None or not _private(supernet):
        yield Finding(
            dept,
            "supernet",
            f"supernet {dept.supernet!r} is not a private IPv4 network",
            "e.g. 10.128.0.0/12",
        )
    elif supernet.prefixlen > 22:
        yield Finding(dept, "supernet", "the supernet must be at least a /22 (one site block)")
    if admin is None or not _private(admin):
        yield Finding(
            dept,
            "admin_prefix",
            f"admin_prefix {dept.admin_prefix!r} is not a private IPv4 network",
        )
    if supernet is not None and admin is not None and (admin in supernet or supernet in admin):
        yield Finding(
            dept,
            "admin_prefix",
            "admin_prefix overlaps the site supernet",
            "the administration network must be separate from site networks",
        )


@rule("NET-CAPACITY", "vigie network plan", "every site fits in a slot and every camera in its /24")
def capacity(ctx: Context):
    dept = ctx.inv.departement
    if _unplannable(dept):
        return
    for problem in ctx.plan.problems:
        yield Finding(dept, "supernet", problem, "use a larger supernet")
    for site in ctx.inv.sites.values():
        if len(site.cameras) > MAX_CAMERAS_PER_SITE:
            yield Finding(
                site,
                "cameras",
                f"site {site.id} has {len(site.cameras)} cameras; "
                f"a site /24 holds {MAX_CAMERAS_PER_SITE}",
                "split it into two sites",
            )
        sp = ctx.plan.sites.get(site.id)
        for cam_id, number in sp.camera_numbers.items() if sp else ():
            if not 1 <= number <= MAX_CAMERAS_PER_SITE:
                yield Finding(
                    site,
                    "cameras",
                    f"camera {cam_id}: locked number {number} is outside 1..{MAX_CAMERAS_PER_SITE}",
                )


@rule(
    "NET-LOCK",
    "vigie network plan: allocations never move",
    "the lock file gives each site its own slot and each camera its own number",
)
def lock_consistent(ctx: Context):
    sites = ctx.inv.lock.get("sites", {}) if ctx.inv.lock else {}
    src = (ctx.inv.lock_path or ctx.inv.path, 1)
    seen: dict = {}
    for sid, entry in sites.items():
        slot = entry.get("slot") if isinstance(entry, dict) else None
        if not isinstance(slot, int) or slot < 0:
            yield Finding(
                None,
                None,
                f"site {sid}: slot must be a non-negative integer",
                src=_src(sites, sid, src),
            )
            continue
        if slot in seen:
            yield Finding(
                None,
                None,
                f"sites {seen[slot]} and {sid} share slot {slot}",
                "never edit allocated entries; run `vigie lock DIR`",
                src=_src(sites, sid, src),
            )
        seen[slot] = sid
        numbers: dict = {}
        for cid, n in (entry.get("cameras") or {}).items():
            if n in numbers:
                yield Finding(
                    None,
                    None,
                    f"site {sid}: cameras {numbers[n]} and {cid} share number {n}",
                    src=_src(sites, sid, src),
                )
            numbers[n] = cid


def _src(sites, sid, default):
    """Line of `sid:` in the lock file (read only on error: the lock is parsed without lines)."""
    path = default[0]
    try:
        with open(path, encoding="utf-8") as lock:
            for number, line in enumerate(lock, start=1):
                if re.match(rf"\s+{re.escape(str(sid))}\s*:", line):
                    return (path, number)
    except OSError:
        pass
    return default


@rule(
    "NET-LOCK-MISSING",
    "vigie network plan",
    "new sites and cameras are recorded in the lock file",
    severity="warning",
)
def lock_missing(ctx: Context):
    if _unplannable(ctx.inv.departement):
        return
    unlocked = ctx.plan.unlocked
    if not unlocked:
        return
    new_sites = sorted({s for s, c in unlocked if c is None})
    new_cams = sum(1 for _, c in unlocked if c is not None)
    yield Finding(
        None,
        None,
        f"{len(new_sites)} site(s) and {new_cams} camera(s) are not in netplan.lock.yml yet",
        "run `vigie lock DIR` and commit netplan.lock.yml",
        src=(ctx.inv.lock_path or f"{ctx.inv.path}/netplan.lock.yml", 1),
    )
