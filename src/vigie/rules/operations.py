"""Rules on what the platform will run: schedules, credentials, analysis streams, fleet, flows.

Each protects a value that the desired state hands to an enforcing component
(tests/contract/ names them): a typo here would otherwise fail at deploy time
or, worse, run with a wrong default.
"""

from __future__ import annotations

from netaddr import AddrFormatError, IPAddress, IPNetwork

from vigie.cameras import analysis_stream as stream_of
from vigie.fleet import FleetError, site_fleet
from vigie.names import default_credential
from vigie.rules import Context, Finding, lawful_detection, rule
from vigie.schedule import parse_opening_hours


@rule(
    "SCHEDULE-OPENING-HOURS",
    "arrêté du 3 août 2007; CNIL, vidéoprotection des établissements scolaires (docs/sources.md)",
    "opening_hours parses (recording and detection schedules depend on it)",
)
def opening_hours(ctx: Context):
    for site in ctx.inv.sites.values():
        if site.opening_hours is not None:
            try:
                parse_opening_hours(site.opening_hours)
            except ValueError as exc:
                yield Finding(
                    site,
                    "opening_hours",
                    f"site {site.id}: opening_hours {site.opening_hours!r}: {exc}",
                    "write e.g. 'Mo-Fr 07:30-18:00; Sa 08:00-12:00' (days Mo..Su, 24 h times)",
                )
                continue
        for cam in site.cameras:
            if cam.recording == "outside_opening_hours" and site.opening_hours is None:
                yield Finding(
                    cam,
                    "recording",
                    f"camera {site.id}/{cam.id} records outside opening hours but the site has "
                    "no opening_hours: it would record around the clock",
                    "set the site's opening_hours",
                )


def _holder(ctx: Context, site) -> str | None:
    auth = ctx.inv.authorisations.get(site.authorisation)
    return auth.holder if auth else None


@rule(
    "REF-CREDENTIAL-SCOPE",
    "ANSSI, recommandations vidéoprotection: one secret per trust domain (docs/sources.md)",
    "a camera's credential belongs to its site or to its authorisation holder",
)
def credential_scope(ctx: Context):
    default_owner = {default_credential(s.id): s for s in ctx.inv.sites.values()}
    holders: dict[str, set[str]] = {}
    for site in ctx.inv.sites.values():
        holder = _holder(ctx, site)
        for cam in site.cameras:
            name = cam.credential or site.camera_credential
            if name:
                holders.setdefault(name, set()).add(holder or site.id)
    for site in ctx.inv.sites.values():
        holder = _holder(ctx, site)
        for obj, field, name in [(site, "camera_credential", site.camera_credential)] + [
            (cam, "credential", cam.credential) for cam in site.cameras
        ]:
            if not name:
                continue
            owner = default_owner.get(name)
            if owner is not None and owner.id != site.id and _holder(ctx, owner) != holder:
                yield Finding(
                    obj,
                    field,
                    f"site {site.id} names {name}, the credential of site {owner.id} "
                    f"(another authorisation holder)",
                    f"use a credential of this site (e.g. {default_credential(site.id)})",
                )
            elif len(holders.get(name, ())) > 1:
                yield Finding(
                    obj,
                    field,
                    f"credential {name} is shared by cameras of different authorisation holders "
                    f"({', '.join(sorted(holders[name]))})",
                    f"give each holder its own credential (e.g. {default_credential(site.id)})",
                )


def _pixel_rate(stream) -> int:
    width, height = stream.width_height
    return width * height * stream.fps


@rule(
    "CAPACITY-ANALYSIS-STREAM",
    "detector benchmark (detector_image/README.md): cameras_per_core is measured on its "
    "reference analysis stream",
    "a camera with detection has an analysis substream no heavier than the benchmark's",
)
def analysis_stream(ctx: Context):
    ref = ctx.inv.departement.detection_capacity.reference
    models = {m.id for m in ctx.inv.departement.camera_models}
    for site in ctx.inv.sites.values():
        for cam in site.cameras:
            if cam.detection is None or not lawful_detection(cam, site):
                continue
            stream = stream_of(ctx.inv, cam)
            if _pixel_rate(stream) > _pixel_rate(ref):
                named = cam.analysis_stream is not None
                yield Finding(
                    cam,
                    "analysis_stream" if named else "model",
                    f"camera {site.id}/{cam.id}: the detector would decode "
                    f"{stream.resolution} at {stream.fps} fps, "
                    f"{_pixel_rate(stream) / _pixel_rate(ref):.1f}x the {ref.resolution} at "
                    f"{ref.fps} fps that cameras_per_core was measured on",
                    "name the camera's substream (analysis_stream) or its model's in "
                    "departement.camera_models"
                    + (
                        ""
                        if named or cam.model in models
                        else f" (model {cam.model!r} is not there)"
                    ),
                )


@rule(
    "FLEET-CAPACITY",
    "detector benchmark (detector_image/README.md): one container per core",
    "the detector hosts' cores can analyse every camera with lawful detection",
)
def fleet_capacity(ctx: Context):
    dept = ctx.inv.departement
    try:
        site_fleet(ctx.inv.sites, dept.detection_capacity.cameras_per_core)
    except FleetError as exc:
        for problem in exc.problems:
            if problem.rule != "FLEET-CAPACITY":
                continue  # a missing detector host is REF-DETECTOR-HOST's
            site = ctx.inv.sites.get(problem.site_id or "")
            yield Finding(
                site if site is not None else dept,
                "detector_hosts" if site is not None else None,
                problem.message,
                "add cores (detector_hosts[].cores) or detector hosts",
            )


def _address_in(text: str, prefix: str) -> bool:
    try:
        return IPAddress(text) in IPNetwork(prefix)
    except (AddrFormatError, ValueError):
        return False


def _numbered_admin_hosts(hosts, admin_prefix: str, what: str, why: str):
    """Hosts numbered by `id`, each on the administration network and listed once."""
    seen: set[int] = set()
    for host in hosts:
        if not _address_in(host.address, admin_prefix):
            yield Finding(
                host,
                "address",
                f"{what} {host.id} ({host.address}) is not an address of the "
                f"administration network {admin_prefix}",
                why,
            )
        if host.id in seen:
            yield Finding(host, "id", f"{what} {host.id} is listed twice", "number them 1, 2, ...")
        seen.add(host.id)


@rule(
    "NET-ADMIN-SERVICES",
    "ANSSI, administration sécurisée des SI (docs/sources.md)",
    "the automation controller, the package mirror, the central services' hosts and the "
    "journal's witnesses are hosts of the administration network",
)
def admin_services(ctx: Context):
    dept = ctx.inv.departement
    if dept.automation_controller and not _address_in(
        dept.automation_controller, dept.admin_prefix
    ):
        yield Finding(
            dept,
            "automation_controller",
            f"automation_controller {dept.automation_controller} is not an address of the "
            f"administration network {dept.admin_prefix}",
            "give the address of the automation host there (cameras accept only it)",
        )
    mirror = dept.package_mirror
    if mirror is not None and not _address_in(mirror.address, dept.admin_prefix):
        yield Finding(
            mirror,
            "address",
            f"package mirror {mirror.address} is not an address of the administration network "
            f"{dept.admin_prefix}",
            "use the département mirror or proxy on the administration network",
        )
    yield from _numbered_admin_hosts(
        dept.central,
        dept.admin_prefix,
        "central host",
        "the CA, broker and access gateway run on the administration network",
    )
    yield from _numbered_admin_hosts(
        dept.witnesses,
        dept.admin_prefix,
        "witness",
        "the witness pulls the journal from the central host there",
    )
    if dept.witnesses and not dept.central:
        yield Finding(
            dept,
            "witnesses",
            "witnesses are listed but no central host keeps a journal for them to pull",
            "list the central hosts (central) or remove the witnesses",
        )
