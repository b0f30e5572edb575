"""Access on event: the inventory's access model, checked at `vigie validate`.

Who is competent for an event is derived (vigie.access_policy.competence) and decided by
the policy engine; these rules check that what the inventory declares makes those
decisions lawful and workable. docs/access.md explains each one for an auditor.
"""

from __future__ import annotations

import re

from vigie.access_policy.competence import RECEIVING_KINDS, people
from vigie.access_policy.events import JUDICIAL_POLICE_KINDS
from vigie.access_policy.settings import setting_source, site_settings
from vigie.rules import Context, Finding, rule

MAX_TOKEN_LIFETIME_S = 300
MIN_JOURNAL_RETENTION_DAYS = 3 * 365
LOCAL_PART = re.compile(r"^(op|sup|grp)-[a-z0-9-]+$")


@rule(
    "ACCESS-WINDOW-RETENTION",
    "CSI L252-5",
    "the window granted around an event (with its extension) fits in every camera's retention",
)
def window_retention(ctx: Context):
    for site in ctx.inv.sites.values():
        if not site.cameras:
            continue
        s = site_settings(ctx.inv, site)
        window = s.window_before_min + s.window_after_min + s.extension_min
        shortest = min(site.cameras, key=lambda c: c.retention_days)
        if window > shortest.retention_days * 1440:
            yield Finding(
                None,
                None,
                f"site {site.id}: a {window}-minute window (before + after + extension) is "
                f"longer than the {shortest.retention_days} days camera {shortest.id} keeps",
                "shorten window_before_min / window_after_min / extension_min",
                src=setting_source(ctx.inv, site, "window_before_min"),
            )


@rule(
    "ACCESS-TOKEN-LIFETIME",
    "RGPD art. 32; APSAD I31 annex 7 (access bounded to the alarm)",
    "viewing tokens live at most 5 minutes",
)
def token_lifetime(ctx: Context):
    for site in ctx.inv.sites.values():
        s = site_settings(ctx.inv, site)
        if s.token_lifetime_s > MAX_TOKEN_LIFETIME_S:
            yield Finding(
                None,
                None,
                f"site {site.id}: token_lifetime_s {s.token_lifetime_s} exceeds 300 s",
                "set token_lifetime_s to 300 or less",
                src=setting_source(ctx.inv, site, "token_lifetime_s"),
            )


@rule(
    "ACCESS-JOURNAL-RETENTION",
    "décret 2022-1152 (traceability); CSI R241-14 (3 years); APSAD I31",
    "the audit journal is kept at least 3 years, longer than any footage",
)
def journal_retention(ctx: Context):
    access = ctx.inv.departement.access
    longest = max((c.retention_days for c in ctx.inv.cameras()), default=0)
    need = max(MIN_JOURNAL_RETENTION_DAYS, longest + 1)
    if access.journal_retention_days < need:
        yield Finding(
            access,
            "journal_retention_days",
            f"journal_retention_days {access.journal_retention_days} is below {need}",
            f"keep the journal at least {need} days",
        )


@rule(
    "ACCESS-PSEUDONYM",
    "RGPD art. 5(1)(c) (data minimisation)",
    "operators and supervisors are pseudonymous: AGENCY/op-N, AGENCY/sup-N or AGENCY/grp-NAME",
)
def pseudonyms(ctx: Context):
    for agency in ctx.inv.agencies.values():
        for field in ("operators", "supervisors"):
            for ident in getattr(agency, field):
                owner, _, local = ident.partition("/")
                if owner != agency.id or not LOCAL_PART.match(local):
                    yield Finding(
                        agency,
                        field,
                        f"agency {agency.id}: {ident!r} is not a pseudonymous identity "
                        "of this agency",
                        f"use {agency.id}/op-0001, {agency.id}/sup-0001 or {agency.id}/grp-name; "
                        "never a person's name",
                    )


@rule(
    "ACCESS-SUPERVISORS",
    "RGPD art. 32; CSI L252-2 (designated persons)",
    "an agency with operators names a supervisor, a second person (four eyes) and a DPO contact",
)
def supervisors(ctx: Context):
    for agency in ctx.inv.agencies.values():
        if not agency.operators and not agency.supervisors:
            continue
        if not agency.supervisors:
            yield Finding(
                agency,
                "operators",
                f"agency {agency.id} has operators but no supervisor",
                "name who approves exports and break-glass under `supervisors`",
            )
        elif len(people(agency)) < 2:
            yield Finding(
                agency,
                "supervisors",
                f"agency {agency.id}: one person cannot approve their own export (four eyes)",
                "name a second operator or supervisor",
            )
        if not agency.dpo:
            yield Finding(
                agency,
                "supervisors",
                f"agency {agency.id} has no DPO contact (break-glass alerts the DPO)",
                "set `dpo` to the DPO office's mailbox",
            )


@rule(
    "ACCESS-ALARM-SOURCE",
    "APSAD I31 annex 7 (images only after a distinct alarm signal)",
    "an alarm source is named for its site and covers cameras of that site",
)
def alarm_source(ctx: Context):
    for site in ctx.inv.sites.values():
        ids = {c.id for c in site.cameras}
        for src in site.alarm_sources:
            if not src.identity.startswith(f"{site.id}/"):
                yield Finding(
                    src,
                    "identity",
                    f"site {site.id}: alarm source {src.id} identity {src.identity!r} "
                    "is not of this site",
                    f"use {site.id}/{src.id}",
                )
            for cam in src.cameras:
                if cam not in ids:
                    yield Finding(
                        src,
                        "cameras",
                        f"site {site.id}: alarm source {src.id} names unknown camera {cam!r}",
                        "one of: " + ", ".join(sorted(ids)),
                    )


@rule(
    "ACCESS-REQUISITION-APPROVER",
    "Code de procédure pénale art. 60-1; the holder designates who approves",
    "each authorisation in use names who approves judicial requisitions",
    severity="warning",
)
def requisition_approver(ctx: Context):
    used = {site.authorisation for site in ctx.inv.sites.values() if site.cameras}
    for auth in ctx.inv.authorisations.values():
        if auth.id in used and not auth.requisition_approver:
            yield Finding(
                auth,
                "id",
                f"authorisation {auth.id} names no requisition_approver: judicial "
                "requisitions of its cameras will be refused",
                "set requisition_approver to the holder's designee (AGENCY/sup-N)",
            )


@rule(
    "ACCESS-REQUISITION-DESIGNEE",
    "Code de procédure pénale art. 60-1, 77-1-1; the platform's four-eyes principle",
    "the requisition designee belongs to no judicial police agency: whoever approves a "
    "requisition could never have recorded it",
)
def requisition_designee(ctx: Context):
    for auth in ctx.inv.authorisations.values():
        who = (auth.requisition_approver or "").partition("/")[0]
        agency = ctx.inv.agencies.get(who)
        if agency is not None and agency.kind in JUDICIAL_POLICE_KINDS:
            yield Finding(
                auth,
                "requisition_approver",
                f"authorisation {auth.id}: {auth.requisition_approver} is of {agency.id} "
                f"({agency.kind}), whose officers record requisitions: he could approve "
                "his own",
                "the holder designates one of its own people (e.g. its supervision's "
                "AGENCY/sup-N), never a judicial police officer",
            )


@rule(
    "ACCESS-ADMIN-SEPARATION",
    "décret 2022-1152; separation of duties",
    "platform administrators approve nothing and supervise no viewing",
)
def admin_separation(ctx: Context):
    admins = {a.id for a in ctx.inv.agencies.values() if a.kind == "platform_admin"}
    for auth in ctx.inv.authorisations.values():
        who = (auth.requisition_approver or "").partition("/")[0]
        if who in admins:
            yield Finding(
                auth,
                "requisition_approver",
                f"authorisation {auth.id}: {auth.requisition_approver} administers the platform",
                "the holder designates someone outside the platform's operations",
            )
    for agency in ctx.inv.agencies.values():
        if agency.id in admins and agency.supervisors:
            yield Finding(
                agency,
                "supervisors",
                f"agency {agency.id} administers the platform: it has no viewing supervisor",
                "remove `supervisors`",
            )


@rule(
    "LEGAL-TRANSMISSION-RECIPIENT",
    "CSI L252-1, L252-2, L252-3",
    "a transmission decision names an agency the law lets receive images (police and "
    "gendarmerie nationales, SDIS, police municipale) or the site's owner; the préfecture "
    "authorises the system, it receives none of its images",
    severity="warning",
    review_only=True,
)
def transmission_recipient(ctx: Context):
    # The préfet authorises (L252-1) and may prescribe transmissions to the services
    # L252-2 and L252-3 list; the préfecture is not among them. The access policy never
    # opens a camera to it: the decision is dead text, said here rather than silently
    # ignored. (Administrators: LEGAL-ADMIN-NO-VIEW, an error.)
    for site in ctx.inv.sites.values():
        for tr in site.transmissions:
            agency = ctx.inv.agencies.get(tr.agency)
            if agency is None or agency.kind in RECEIVING_KINDS or agency.kind == "platform_admin":
                continue
            yield Finding(
                tr,
                "agency",
                f"site {site.id}: {agency.id} ({agency.name}, {agency.kind}) holds a "
                f"transmission decision it can never use: CSI L252-2 and L252-3 name the "
                "recipients of images (police and gendarmerie nationales, SDIS, police "
                "municipale); the préfecture authorises the system (L252-1) and receives "
                "none of its images, so the access policy never opens a camera to it",
                "remove this transmission; where the préfet orders images sent, name the "
                "police nationale or gendarmerie service that acts, with its own decision",
            )
