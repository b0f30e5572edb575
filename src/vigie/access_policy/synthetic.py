"""A generated département made interesting for access decisions (tests, benchmark).

`vigie generate` writes sites whose only agency is the département's supervision;
this adds, in memory and deterministically, the forces, the SDIS, an administrator,
a police municipale per large commune (some transmitting outside their territory is
not possible: LEGAL-PM-TERRITORY would refuse it, so they transmit only at home),
fire-purpose cameras, alarm sources and requisition approvers.
"""

from __future__ import annotations

import random

from vigie.model import Agency, AlarmSource, Inventory, Transmission

FORCE_AGENCY = {"police": "dipn78", "gendarmerie": "ggd78"}


def enrich(inv: Inventory, *, seed: int = 0) -> Inventory:
    rng = random.Random(seed)
    add = [
        Agency(id="dipn78", name="DIPN", kind="police_nationale"),
        Agency(id="ggd78", name="GGD", kind="gendarmerie"),
        Agency(id="sdis78", name="SDIS", kind="sdis"),
        Agency(id="pref78", name="Préfecture", kind="prefecture"),
        Agency(id="ops", name="Exploitation", kind="platform_admin"),
    ]
    communes = sorted({s.insee for s in inv.sites.values() if s.kind == "commune_building"})
    for insee in communes[::12]:
        add.append(
            Agency(id=f"pm-{insee}", name=f"PM {insee}", kind="police_municipale", commune=insee)
        )
    for agency in add:
        inv.agencies[agency.id] = agency
    for agency in inv.agencies.values():
        if agency.kind != "platform_admin":
            agency.operators = [f"{agency.id}/op-0001", f"{agency.id}/op-0002"]
            agency.supervisors = [f"{agency.id}/sup-0001"]
            agency.dpo = f"dpo@{agency.id}.example"
    for auth in inv.authorisations.values():
        auth.requisition_approver = "cd78-supervision/sup-0001"
    for site in inv.sites.values():
        decision = site.authorisation
        force = inv.competent_force.get(site.insee)
        holders = {tr.agency for tr in site.transmissions}
        wanted = []
        if force and rng.random() < 0.9:
            wanted.append(FORCE_AGENCY[force])
        if rng.random() < 0.6:
            wanted.append("sdis78")
        if rng.random() < 0.1:
            wanted.append("pref78")
        if site.kind == "commune_building" and f"pm-{site.insee}" in inv.agencies:
            wanted.append(f"pm-{site.insee}")
        for agency in wanted:
            if agency not in holders:
                site.transmissions.append(Transmission(agency=agency, decision=decision))
        for cam in site.cameras:
            if rng.random() < 0.3:
                cam.purposes = [*cam.purposes, "rescue_fire"]
        if site.cameras and rng.random() < 0.3:
            kind = rng.choice(["intrusion_panel", "fire_alarm"])
            cams = [c.id for c in site.cameras if rng.random() < 0.5]
            site.alarm_sources.append(
                AlarmSource(id="alarm-01", kind=kind, identity=f"{site.id}/alarm-01", cameras=cams)
            )
    return inv
