"""Who is competent for an event, derived from the inventory in plain Python.

This is the model's reading of the law, rule by rule (ids in `vigie.access_policy.decision_rules`).
The gateway's decisions are taken by the Cedar engine (`vigie.access_policy.policy`);
the differential test checks that both agree on every camera, agency and event class.
"""

from __future__ import annotations

from functools import cache

from vigie.model import Agency, AlarmSource, Camera, Inventory, Site
from vigie.vocabulary import FORCE_OF_AGENCY, SDIS_PURPOSES

from .events import ALARM_KIND_CLASS, CLASSES, JUDICIAL_POLICE_KINDS, WAYS, Request, Verdict

# The agency kind that owns (operates the supervision of) each kind of site.
OWNER_KIND = {
    "college": "departement",
    "departmental_building": "departement",
    "datacenter": "departement",
    "sdis_station": "sdis",
    "commune_building": "police_municipale",
}


# Agency kinds a permit rule can open a camera to on an event: the owners
# (ACCESS-OWNER), the forces (ACCESS-FORCE-COMPETENT), the SDIS (ACCESS-SDIS-FIRE).
# A transmission decision naming any other kind is never honoured.
RECEIVING_KINDS = frozenset(OWNER_KIND.values()) | frozenset(FORCE_OF_AGENCY) | {"sdis"}


def owner_kind(site: Site) -> str:
    return OWNER_KIND.get(site.kind, "")


@cache
def _epci_members(epci: str) -> frozenset[str]:
    from vigie.geography import reference

    found = reference().epcis.get(epci)
    return frozenset(found.members) if found else frozenset()


def territory(agency: Agency) -> frozenset[str]:
    """Communes (INSEE) where a police municipale may act: its commune or its EPCI."""
    if agency.kind != "police_municipale":
        return frozenset()
    communes = {agency.commune} if agency.commune else set()
    return frozenset(communes | (_epci_members(agency.epci) if agency.epci else set()))


def decision_holders(site: Site) -> frozenset[str]:
    """Agencies holding a transmission decision for this site (CSI L252-3)."""
    return frozenset(tr.agency for tr in site.transmissions if tr.decision)


def has_sdis_purpose(camera: Camera) -> bool:
    return bool(SDIS_PURPOSES & set(camera.purposes))


def detection_classes(camera: Camera) -> frozenset[str]:
    return frozenset(camera.detection.classes) if camera.detection else frozenset()


def alarm_sources(site: Site, camera: Camera, event_class: str) -> list[AlarmSource]:
    """The site's alarm sources of that class that cover this camera."""
    return [
        src
        for src in site.alarm_sources
        if ALARM_KIND_CLASS[src.kind] == event_class
        and (not src.cameras or camera.id in src.cameras)
    ]


def requisition_approver(inv: Inventory, site: Site) -> str:
    auth = inv.authorisations.get(site.authorisation)
    return (auth.requisition_approver or "") if auth else ""


def people(agency: Agency) -> frozenset[str]:
    return frozenset(agency.operators) | frozenset(agency.supervisors)


def decide(inv: Inventory, req: Request, *, representative: bool = False) -> Verdict:
    """The model's verdict. `representative`: `req.operator` stands for its whole agency
    (the matrix asks about agencies, not people)."""
    agency = inv.agencies.get(req.agency)
    site_id, _, cam_id = req.camera.partition("/")
    site = inv.sites.get(site_id)
    camera = next((c for c in site.cameras if c.id == cam_id), None) if site else None
    if agency is None or site is None or camera is None:
        return Verdict(False, "ACCESS-UNKNOWN", f"unknown agency or camera {req.camera!r}")
    if not representative and req.operator not in people(agency):
        return Verdict(False, "ACCESS-UNKNOWN", f"{req.operator} is not an operator of {agency.id}")
    return _decide(inv, agency, site, camera, req)


def _decide(inv: Inventory, agency: Agency, site: Site, camera: Camera, req: Request) -> Verdict:
    event, kind = req.event, agency.kind
    if kind == "platform_admin":
        return Verdict(False, "ACCESS-ADMIN-NEVER", f"{agency.id} administers the platform")
    if event.way not in WAYS:
        return Verdict(False, "ACCESS-WAY-OTHER", f"{event.way!r} is not a lawful way in")
    if event.way == "detector" and event.event_class not in detection_classes(camera):
        return Verdict(
            False, "ACCESS-WAY-DETECTOR", f"{req.camera} has no detector of {event.event_class!r}"
        )
    if event.way == "alarm" and not any(
        s.identity == event.source for s in alarm_sources(site, camera, event.event_class)
    ):
        return Verdict(
            False,
            "ACCESS-WAY-ALARM",
            f"no {event.event_class} alarm source {event.source or '(none)'} covers {req.camera}",
        )
    if event.way == "requisition":
        approver = requisition_approver(inv, site)
        if req.action != "export":
            return Verdict(False, "ACCESS-WAY-REQUISITION", "a requisition yields an export only")
        if kind not in JUDICIAL_POLICE_KINDS:
            return Verdict(False, "ACCESS-WAY-REQUISITION", f"{agency.id} is no judicial police")
        if not approver or req.approved_by != approver:
            return Verdict(
                False,
                "ACCESS-WAY-REQUISITION",
                f"not approved by the holder's designee ({approver or 'none designated'})",
            )
        if req.approved_by == req.operator:
            return Verdict(
                False,
                "ACCESS-REQUISITION-FOUR-EYES",
                f"{req.operator} recorded this requisition: he cannot approve it too",
            )
    elif agency.id not in decision_holders(site):
        return Verdict(
            False, "ACCESS-DECISION-REQUIRED", f"{agency.id} holds no decision for {site.id}"
        )
    if kind == "sdis" and not has_sdis_purpose(camera):
        return Verdict(False, "ACCESS-SDIS-PURPOSE", f"{req.camera} has no rescue/risk purpose")
    if req.action in ("extend", "break_glass") and not req.reason_given:
        return Verdict(False, "ACCESS-REASON-REQUIRED", f"{req.action} needs a written reason")
    if (
        req.action == "export"
        and event.way != "requisition"
        and not (req.approver and req.approver != req.operator and req.approver in people(agency))
    ):
        return Verdict(False, "ACCESS-FOUR-EYES", "an export needs a second person of the agency")
    if req.action == "break_glass" and req.operator not in agency.supervisors:
        return Verdict(False, "ACCESS-BREAK-GLASS", f"{req.operator} is not a supervisor")
    return _competent(inv, agency, site, event.way, event.event_class)


def _competent(inv: Inventory, agency: Agency, site: Site, way: str, cls: str) -> Verdict:
    kind = agency.kind
    if way == "requisition":
        return Verdict(True, "ACCESS-REQUISITION-EXPORT", "approved judicial requisition")
    force = FORCE_OF_AGENCY.get(kind, "")
    if cls in ("intrusion", "tamper") and force and force == inv.competent_force.get(site.insee):
        return Verdict(True, "ACCESS-FORCE-COMPETENT", f"{force} is competent in {site.insee}")
    in_territory = kind != "police_municipale" or site.insee in territory(agency)
    if cls in CLASSES and kind == owner_kind(site) and in_territory:
        return Verdict(True, "ACCESS-OWNER", f"{agency.id} supervises {site.id}")
    if cls == "fire" and kind == "sdis":
        return Verdict(True, "ACCESS-SDIS-FIRE", "fire: the SDIS")
    return Verdict(
        False, "ACCESS-NOT-COMPETENT", f"{agency.id} ({kind}) is not competent for {cls} here"
    )
