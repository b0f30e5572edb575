"""The network plan: per-site prefixes, VLAN ids and fixed host addresses.

Each site gets one *slot*. Slot `s` owns the `s`-th /22 of the département
supernet, split into four /24s (cameras, recorders, management, agency), and
the VLAN ids `VLAN_BASE + 4*s + k`. Slots are recorded in the committed lock
file `netplan.lock.yml`, so adding a site or a camera never moves anything
already allocated; a site or camera missing from the lock gets the lowest free
number (sites and cameras in sorted order) and `vigie lock` records it.

Fixed offsets inside every site /24 (documented in docs/inventory.md):
  .1          the site gateway
  .10 + N     recorder N        (recorders and management /24s), N = 1..39
  .50 + N     detector host N   (recorders and management /24s), N = 1..39
  .19 + k     camera number k   (cameras /24), k = 1..230  -> .20 .. .249
  .254        never allocated (the lab puts the host side of its bridges there)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netaddr import IPAddress, IPNetwork

from vigie.model import Inventory, Site

NETWORKS = ("cameras", "recorders", "management", "agency")
SITE_BLOCK_PREFIXLEN = 22
VLAN_BASE = 100
MAX_VLAN = 4094
MAX_SLOTS = (MAX_VLAN - VLAN_BASE + 1) // len(NETWORKS)  # 998
GATEWAY_OFFSET = 1
RECORDER_OFFSET = 10
DETECTOR_OFFSET = 50
CAMERA_OFFSET = 19
MAX_CAMERAS_PER_SITE = 230
RESERVED_OFFSET = 254


@dataclass
class SitePlan:
    site_id: str
    slot: int
    prefixes: dict[str, IPNetwork]
    vlans: dict[str, int]
    camera_numbers: dict[str, int] = field(default_factory=dict)

    def _host(self, network: str, offset: int) -> str:
        return str(IPAddress(self.prefixes[network].first + offset))

    def gateway(self, network: str) -> str:
        return self._host(network, GATEWAY_OFFSET)

    def recorder_address(self, number: int, network: str = "recorders") -> str:
        return self._host(network, RECORDER_OFFSET + number)

    def detector_address(self, number: int, network: str = "recorders") -> str:
        return self._host(network, DETECTOR_OFFSET + number)

    def camera_address(self, camera_id: str) -> str:
        return self._host("cameras", CAMERA_OFFSET + self.camera_numbers[camera_id])

    def prefix_strings(self) -> dict[str, str]:
        return {name: str(net) for name, net in self.prefixes.items()}


@dataclass
class NetworkPlan:
    supernet: IPNetwork
    admin_prefix: IPNetwork
    sites: dict[str, SitePlan]
    # (site, camera or None) pairs that are not in the lock file yet
    unlocked: list[tuple[str, str | None]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lock_data(self) -> dict:
        return {
            "sites": {
                sid: {"slot": sp.slot, "cameras": dict(sorted(sp.camera_numbers.items()))}
                for sid, sp in sorted(self.sites.items())
            }
        }


def _lowest_free(used: set[int], start: int) -> int:
    n = start
    while n in used:
        n += 1
    return n


def site_slots_capacity(supernet: IPNetwork) -> int:
    blocks = 2 ** (SITE_BLOCK_PREFIXLEN - supernet.prefixlen) if supernet.prefixlen <= 22 else 0
    return min(blocks, MAX_SLOTS)


def plan_network(inv: Inventory) -> NetworkPlan:
    """Deterministic, stable allocation of every site and camera."""
    supernet = IPNetwork(inv.departement.supernet)
    plan = NetworkPlan(supernet, IPNetwork(inv.departement.admin_prefix), {})
    locked_sites: dict = inv.lock.get("sites", {}) if inv.lock else {}
    capacity = site_slots_capacity(supernet)
    # Slots of removed sites stay taken: they are never given to another site.
    used = {
        entry["slot"]
        for entry in locked_sites.values()
        if isinstance(entry, dict) and isinstance(entry.get("slot"), int)
    }
    floor = 0  # `used` only grows: the next free slot is never below the last one given
    for site in inv.sites.values():  # sorted by id
        entry = locked_sites.get(site.id)
        slot = entry.get("slot") if isinstance(entry, dict) else None
        if not isinstance(slot, int):
            slot = floor = _lowest_free(used, floor)
            used.add(slot)
            plan.unlocked.append((site.id, None))
        if slot >= capacity:
            plan.problems.append(
                f"site {site.id}: slot {slot} is beyond the {capacity} slots of {supernet}"
            )
            continue
        plan.sites[site.id] = _site_plan(site, slot, supernet, entry, plan)
    return plan


def _site_plan(site: Site, slot: int, supernet: IPNetwork, entry, plan: NetworkPlan) -> SitePlan:
    block_first = supernet.first + slot * 2 ** (32 - SITE_BLOCK_PREFIXLEN)
    prefixes = {
        name: IPNetwork(f"{IPAddress(block_first + k * 256)}/24") for k, name in enumerate(NETWORKS)
    }
    vlans = {name: VLAN_BASE + len(NETWORKS) * slot + k for k, name in enumerate(NETWORKS)}
    sp = SitePlan(site.id, slot, prefixes, vlans)
    locked = entry.get("cameras", {}) if isinstance(entry, dict) else {}
    present = {cam.id for cam in site.cameras}
    numbers = {cid: n for cid, n in (locked or {}).items() if cid in present and isinstance(n, int)}
    used = {n for n in (locked or {}).values() if isinstance(n, int)}
    floor = 1  # linear, not quadratic, in the number of new cameras (hostile input)
    for cid in sorted(present - numbers.keys()):
        n = floor = _lowest_free(used, floor)
        used.add(n)
        numbers[cid] = n
        plan.unlocked.append((site.id, cid))
    sp.camera_numbers = numbers
    return sp
