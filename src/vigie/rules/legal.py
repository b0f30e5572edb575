"""The law as code. Each rule cites its source, listed in docs/sources.md."""

from __future__ import annotations

import datetime as dt

from vigie.cameras import unlawful_detection_classes
from vigie.model import Camera, Site
from vigie.rules import Context, Finding, rule
from vigie.vocabulary import (
    BIOMETRIC_CLASSES,
    COLLEGE_LIVING_AREAS,
    FORCE_OF_AGENCY,
    PURPOSES,
    SDIS_PURPOSES,
    WORKPLACE_FORBIDDEN_AREAS,
)

MAX_RETENTION_DAYS = 30
COLLEGE_RETENTION_WARNING_DAYS = 7
RENEWAL_NOTICE = dt.timedelta(days=122)  # 4 months
MAX_AUTHORISATION = dt.timedelta(days=5 * 366)


def _cameras(ctx: Context):
    for site in ctx.inv.sites.values():
        for cam in site.cameras:
            yield site, cam


# --- retention -----------------------------------------------------------------------


@rule("LEGAL-RETENTION-MAX", "CSI L252-5", "recordings are kept at most 30 days")
def retention_max(ctx: Context):
    for _site, cam in _cameras(ctx):
        if cam.retention_days > MAX_RETENTION_DAYS:
            yield Finding(
                cam,
                "retention_days",
                f"camera {cam.id}: retention_days {cam.retention_days} exceeds the legal 30 days",
                "set retention_days to 30 or less",
            )


@rule(
    "LEGAL-RETENTION-AUTHORISATION",
    "CSI L252-5; préfecture authorisation",
    "retention is at most what the site's authorisation sets",
)
def retention_authorised(ctx: Context):
    for site, cam in _cameras(ctx):
        auth = ctx.inv.authorisations.get(site.authorisation)
        if auth and cam.retention_days > auth.retention_days:
            yield Finding(
                cam,
                "retention_days",
                f"camera {cam.id}: retention_days {cam.retention_days} exceeds the "
                f"{auth.retention_days} days of authorisation {auth.id}",
                f"set retention_days to {auth.retention_days} or less",
            )


@rule(
    "LEGAL-RETENTION-COLLEGE",
    "CNIL, vidéoprotection dans les établissements scolaires",
    "collège cameras: a few days usually suffice (warning above 7)",
    severity="warning",
)
def retention_college(ctx: Context):
    for site, cam in _cameras(ctx):
        if site.kind == "college" and cam.retention_days > COLLEGE_RETENTION_WARNING_DAYS:
            yield Finding(
                cam,
                "retention_days",
                f"camera {cam.id}: {cam.retention_days} days in a collège; "
                "the CNIL considers a few days enough",
                "consider 7 days or less",
            )


# --- authorisation ---------------------------------------------------------------------


@rule(
    "LEGAL-AUTHORISATION-VALID",
    "CSI L252-1, L252-4",
    "each authorisation is in force and lasts at most 5 years",
)
def authorisation_valid(ctx: Context):
    for auth in ctx.inv.authorisations.values():
        if auth.expires <= auth.issued:
            yield Finding(auth, "expires", f"authorisation {auth.id} expires before it is issued")
        elif auth.expires - auth.issued > MAX_AUTHORISATION:
            yield Finding(
                auth,
                "expires",
                f"authorisation {auth.id} lasts more than 5 years",
                "an authorisation is granted for 5 years, renewable",
            )
        if auth.expires < ctx.today:
            yield Finding(
                auth,
                "expires",
                f"authorisation {auth.id} expired on {auth.expires}",
                "the cameras it covers must stop recording until it is renewed",
            )
        elif auth.issued > ctx.today:
            yield Finding(
                auth, "issued", f"authorisation {auth.id} is not in force before {auth.issued}"
            )


@rule(
    "LEGAL-AUTHORISATION-RENEWAL",
    "CSI L252-4; préfecture practice (renewal file 4 months before)",
    "warn when an authorisation expires within 4 months",
    severity="warning",
)
def authorisation_renewal(ctx: Context):
    for auth in ctx.inv.authorisations.values():
        if ctx.today <= auth.expires < ctx.today + RENEWAL_NOTICE:
            yield Finding(
                auth,
                "expires",
                f"authorisation {auth.id} expires on {auth.expires}",
                "file the renewal with the préfecture now",
            )


# --- purposes and privacy ---------------------------------------------------------------


@rule(
    "LEGAL-PURPOSE",
    "CSI L251-2",
    "every camera names at least one purpose from the closed list of 11",
)
def purposes(ctx: Context):
    for _site, cam in _cameras(ctx):
        if not cam.purposes:
            yield Finding(
                cam,
                "purposes",
                f"camera {cam.id}: no purpose",
                "name at least one of: " + ", ".join(PURPOSES),
            )
        for purpose in cam.purposes:
            if purpose not in PURPOSES:
                yield Finding(
                    cam,
                    "purposes",
                    f"camera {cam.id}: {purpose!r} is not a purpose of CSI L251-2",
                    "one of: " + ", ".join(PURPOSES),
                )


@rule(
    "LEGAL-PRIVACY-MASK",
    "CSI L251-3",
    "a public-road camera that sees homes has privacy masks over them",
)
def privacy_masks(ctx: Context):
    for _site, cam in _cameras(ctx):
        if cam.films_public_road and cam.sees_homes and not cam.privacy_masks:
            yield Finding(
                cam,
                "sees_homes",
                f"camera {cam.id} films the public road and sees homes but has no privacy_masks",
                "mask windows and entrances with polygons in relative coordinates (0..1)",
            )


def in_a_school(site: Site, cam: Camera) -> bool:
    """A collège site, or a camera declared `school: true` (an école, a lycée)."""
    return site.kind == "college" or cam.school


@rule(
    "LEGAL-COLLEGE-LIVING-AREA",
    "CNIL, vidéoprotection dans les établissements scolaires",
    "school living areas (playground, canteen, classroom) of collèges and of cameras marked "
    "`school` are filmed only outside opening hours",
)
def college_areas(ctx: Context):
    for site, cam in _cameras(ctx):
        if cam.area not in COLLEGE_LIVING_AREAS or cam.recording != "always":
            continue
        if in_a_school(site, cam):
            what = "a collège" if site.kind == "college" else "a school"
            yield Finding(
                cam,
                "area",
                f"camera {cam.id} films {what} {cam.area} during opening hours",
                "set `recording: outside_opening_hours` (with the site's opening_hours) "
                "or point it at an access",
            )
        elif site.kind == "commune_building":  # the communes own the écoles
            yield Finding(
                cam,
                "area",
                f"camera {cam.id} films a {cam.area} at a commune building, recorded always",
                "if it is a school's (école maternelle or élémentaire), mark it `school: true` "
                "and record it outside opening hours",
                severity="warning",
            )


@rule(
    "LEGAL-WORKPLACE-AREA",
    "CNIL, vidéosurveillance au travail",
    "no camera films workstations, break rooms or toilets",
)
def workplace_areas(ctx: Context):
    for _site, cam in _cameras(ctx):
        if cam.area in WORKPLACE_FORBIDDEN_AREAS:
            yield Finding(
                cam,
                "area",
                f"camera {cam.id} films a {cam.area}, which the CNIL forbids",
                "remove the camera or re-aim it",
            )


# --- image quality ------------------------------------------------------------------------


@rule(
    "LEGAL-IMAGE-RESOLUTION",
    "arrêté du 3 août 2007, annexe",
    "recorded images are at least 704x576 (narrow field) or 352x288",
)
def resolution(ctx: Context):
    for _site, cam in _cameras(ctx):
        need = (704, 576) if cam.field_of_view == "narrow" else (352, 288)
        width, height = cam.width_height
        if width < need[0] or height < need[1]:
            yield Finding(
                cam,
                "resolution",
                f"camera {cam.id}: {cam.resolution} is below {need[0]}x{need[1]} "
                f"for a {cam.field_of_view}-field camera",
            )


@rule(
    "LEGAL-IMAGE-FPS",
    "arrêté du 3 août 2007, annexe",
    "at least 12 fps for narrow-field cameras on fast movement, else 6",
)
def frame_rate(ctx: Context):
    for _site, cam in _cameras(ctx):
        need = 12 if cam.field_of_view == "narrow" and cam.fast_movement else 6
        if cam.fps < need:
            yield Finding(
                cam, "fps", f"camera {cam.id}: {cam.fps} fps is below the {need} fps required"
            )


# --- detection -----------------------------------------------------------------------------


@rule(
    "LEGAL-DETECTION-PUBLIC-ROAD",
    "CNIL; loi 2023-380 art. 10 (ended 31 March 2025); CC 2025-878 DC",
    "no automatic detection on a camera that films the public road",
)
def detection_public_road(ctx: Context):
    for _site, cam in _cameras(ctx):
        if cam.detection is not None and cam.films_public_road:
            yield Finding(
                cam,
                "detection",
                f"camera {cam.id} films the public road: algorithmic analysis is not lawful",
                "remove `detection` from this camera",
            )


@rule(
    "LEGAL-DETECTION-CLASSES",
    "CNIL; CC 2025-878 DC",
    "detection classes are only intrusion, fire, tamper; never biometrics",
)
def detection_classes(ctx: Context):
    for _site, cam in _cameras(ctx):
        if cam.detection is None:
            continue
        for cls in unlawful_detection_classes(cam.detection.classes):
            why = (
                "biometric identification is forbidden"
                if cls in BIOMETRIC_CLASSES
                else "not an allowed class"
            )
            yield Finding(
                cam.detection,
                "classes",
                f"camera {cam.id}: detection class {cls!r}: {why}",
                "allowed: intrusion, fire, tamper",
            )


# --- access and transmission -----------------------------------------------------------------


def _agency_transmissions(ctx: Context):
    for site in ctx.inv.sites.values():
        for tr in site.transmissions:
            agency = ctx.inv.agencies.get(tr.agency)
            if agency is not None:
                yield site, tr, agency


@rule(
    "LEGAL-TRANSMISSION-DECISION",
    "CSI L252-3",
    "a transmission to an agency cites its decision; on event only unless decided otherwise",
)
def transmission_decision(ctx: Context):
    for site, tr, agency in _agency_transmissions(ctx):
        if not tr.decision:
            yield Finding(
                tr,
                "agency",
                f"site {site.id}: transmission to {agency.id} has no decision reference",
                "cite the authorisation or the prefectoral arrêté under `decision`",
            )
        if tr.mode == "permanent":
            yield Finding(
                tr,
                "mode",
                f"site {site.id}: permanent transmission to {agency.id}",
                "the platform transmits on event only; a permanent déport needs an explicit arrêté",
                severity="warning",
            )


@rule(
    "LEGAL-PM-TERRITORY",
    "Conseil constitutionnel 2021-817 DC §80",
    "police municipale see only cameras of their own commune or intercommunality",
)
def pm_territory(ctx: Context):
    from vigie.geography import reference

    epcis = reference().epcis
    for site, tr, agency in _agency_transmissions(ctx):
        if agency.kind != "police_municipale":
            continue
        own_commune = agency.commune == site.insee
        own_epci = agency.epci in epcis and site.insee in epcis[agency.epci].members
        if not (own_commune or own_epci):
            yield Finding(
                tr,
                "agency",
                f"site {site.id} (commune {site.insee}) is outside the territory of {agency.id}",
                "police municipale may only see their own commune or EPCI",
            )


@rule(
    "LEGAL-FORCE-COMPETENT",
    "competent force (docs/sources.md): each commune is policed by police nationale or gendarmerie",
    "police nationale / gendarmerie receive images only where they are the competent force",
)
def force_competent(ctx: Context):
    for site, tr, agency in _agency_transmissions(ctx):
        force = FORCE_OF_AGENCY.get(agency.kind)
        competent = ctx.inv.competent_force.get(site.insee)
        if force and competent and force != competent:
            yield Finding(
                tr,
                "agency",
                f"site {site.id}: commune {site.insee} is policed by the {competent}, "
                f"not {agency.kind}",
                "transmit to the competent force's agency",
            )


@rule(
    "LEGAL-SDIS-PURPOSE",
    "CSI L252-3",
    "SDIS receive images only of cameras with rescue/fire or natural/technological-risk purposes",
)
def sdis_purpose(ctx: Context):
    for site, tr, agency in _agency_transmissions(ctx):
        if agency.kind == "sdis" and not any(SDIS_PURPOSES & set(c.purposes) for c in site.cameras):
            yield Finding(
                tr,
                "agency",
                f"site {site.id}: no camera has a rescue_fire or "
                "natural_technological_risks purpose",
                "remove the SDIS transmission or add the purpose where it is true",
            )


@rule(
    "LEGAL-CAMERA-UNSEEN",
    "CSI L251-2 (purposes); the platform's purpose (images on event only, CSI L252-3)",
    "a camera some agency may see on an event: one only a judicial requisition reaches "
    "serves no purpose of L251-2",
    severity="warning",
    # For the reviewer of an opt-in or of the inventory (the plan lists it), not
    # repeated to the operator on every ansible-* run.
    review_only=True,
)
def camera_unseen(ctx: Context):
    from vigie.access_policy.competence import decide
    from vigie.access_policy.differential import events_for
    from vigie.access_policy.events import Request

    agencies = list(ctx.inv.agencies)
    for site in ctx.inv.sites.values():
        for cam in site.cameras:
            name = f"{site.id}/{cam.id}"
            events = [e for e in events_for(ctx.inv, name) if e.way != "requisition"]
            if any(
                decide(
                    ctx.inv,
                    Request(f"{agency}/agency", "view_clip", name, event),
                    representative=True,
                ).allowed
                for event in events
                for agency in agencies
            ):
                continue
            yield Finding(
                cam,
                "id",
                f"camera {name}: no agency may see it on any event, only a judicial "
                "requisition reaches its footage",
                "add a transmission decision for a competent agency, a detection class (or "
                "an alarm source) whose competent agency holds one, or remove the camera",
            )


@rule(
    "LEGAL-ADMIN-NO-VIEW",
    "décret 2022-1152; separation of duties",
    "platform administrators never receive images",
)
def admin_no_view(ctx: Context):
    for site, tr, agency in _agency_transmissions(ctx):
        if agency.kind == "platform_admin":
            yield Finding(
                tr,
                "agency",
                f"site {site.id}: {agency.id} administers the platform and may not view images",
            )


def cameras_for_agency(site: Site, agency_kind: str) -> list[Camera]:
    """The cameras of a site an agency of this kind may see (SDIS: rescue/risk purposes only)."""
    if agency_kind == "sdis":
        return [c for c in site.cameras if SDIS_PURPOSES & set(c.purposes)]
    return list(site.cameras)
