"""References between objects and to the reference data (INSEE COG via Etalab)."""

from __future__ import annotations

from vigie.geography import reference
from vigie.rules import Context, Finding, rule

COG = "INSEE Code officiel géographique (Etalab decoupage-administratif 6.0.0)"


@rule("REF-COMMUNE", COG, "every INSEE code names a current commune of the Yvelines")
def communes_exist(ctx: Context):
    communes = reference().communes
    objects = [
        *ctx.inv.sites.values(),
        *ctx.inv.points_of_presence.values(),
        *(a for a in ctx.inv.agencies.values() if a.commune),
    ]
    for obj in objects:
        code = obj.insee if hasattr(obj, "insee") else obj.commune
        if code not in communes:
            yield Finding(
                obj,
                "insee" if hasattr(obj, "insee") else "commune",
                f"INSEE code {code} is not a current commune of the Yvelines",
                "use the 5-digit INSEE code (not the postal code)",
            )
    for insee in ctx.inv.competent_force:
        if insee not in communes:
            yield Finding(
                None,
                None,
                f"competent_force: INSEE code {insee} is not a commune of the Yvelines",
                src=ctx.inv.force_src[insee],
            )


@rule("REF-EPCI", COG, "an agency's `epci` is the SIREN of a Yvelines intercommunality")
def epcis_exist(ctx: Context):
    for agency in ctx.inv.agencies.values():
        if agency.epci and agency.epci not in reference().epcis:
            yield Finding(agency, "epci", f"SIREN {agency.epci} is not an EPCI of the Yvelines")


@rule("REF-UPLINK", "vigie data model", "a site's `uplink` is a point of presence")
def uplinks_exist(ctx: Context):
    for site in ctx.inv.sites.values():
        if site.uplink not in ctx.inv.points_of_presence:
            yield Finding(
                site,
                "uplink",
                f"site {site.id}: unknown point of presence {site.uplink!r}",
                "add it under `points_of_presence` or fix the id",
            )


@rule("REF-SEGMENT", "vigie data model", "both ends of a fibre segment are points of presence")
def segment_ends_exist(ctx: Context):
    for seg in ctx.inv.segments.values():
        for end in seg.ends:
            if end not in ctx.inv.points_of_presence:
                yield Finding(seg, "ends", f"segment {seg.id}: unknown point of presence {end!r}")


@rule("REF-RECORDER", "vigie data model", "every camera is recorded by an existing recorder")
def recorders_exist(ctx: Context):
    for site in ctx.inv.sites.values():
        target = ctx.inv.sites.get(site.recording_site)
        if target is None:
            yield Finding(
                site,
                "recorded_at",
                f"site {site.id}: recorded_at names unknown site {site.recorded_at!r}",
            )
            continue
        numbers = {r.id for r in target.recorders}
        for cam in site.cameras:
            if cam.recorder not in numbers:
                yield Finding(
                    cam,
                    "recorder",
                    f"camera {cam.id}: no recorder {cam.recorder} at site {target.id}",
                    "add the recorder to the site or set `recorder:` / `recorded_at:`",
                )


@rule(
    "REF-DETECTOR-HOST",
    "vigie data model",
    "a camera with `detection` has a detector host to run it",
)
def detector_hosts_exist(ctx: Context):
    for site in ctx.inv.sites.values():
        target = ctx.inv.sites.get(site.analysing_site)
        if target is None:
            yield Finding(
                site,
                "analysed_at",
                f"site {site.id}: analysed_at names unknown site {site.analysed_at!r}",
            )
            continue
        numbers = {d.id for d in target.detector_hosts}
        for cam in site.cameras:
            if cam.detection and (cam.detector_host or 1) not in numbers:
                yield Finding(
                    cam,
                    "detection",
                    f"camera {cam.id}: no detector host {cam.detector_host or 1} "
                    f"at site {target.id}",
                    "add `detector_hosts` to the site or set `analysed_at:`",
                )


@rule("REF-AGENCY", "vigie data model", "a transmission names an existing agency")
def agencies_exist(ctx: Context):
    for site in ctx.inv.sites.values():
        for tr in site.transmissions:
            if tr.agency not in ctx.inv.agencies:
                yield Finding(tr, "agency", f"site {site.id}: unknown agency {tr.agency!r}")


@rule(
    "REF-AUTHORISATION", "CSI L252-1", "every site is covered by a listed préfecture authorisation"
)
def authorisations_exist(ctx: Context):
    for site in ctx.inv.sites.values():
        if site.authorisation not in ctx.inv.authorisations:
            yield Finding(
                site,
                "authorisation",
                f"site {site.id}: authorisation {site.authorisation!r} is not listed",
                "add it under `authorisations` with its dates and retention",
            )


@rule(
    "REF-FORCE",
    "competent force (docs/sources.md): the competent force follows the commune",
    "the commune of every site has its competent force (police or gendarmerie)",
)
def forces_known(ctx: Context):
    for site in ctx.inv.sites.values():
        if site.insee not in ctx.inv.competent_force:
            yield Finding(
                site,
                "insee",
                f"site {site.id}: no competent force for commune {site.insee}",
                f'add `competent_force: {{"{site.insee}": police|gendarmerie}}`',
            )
