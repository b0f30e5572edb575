"""French words for the documents read by mayors, lawyers and auditors.

The plan, the access matrix, `vigie audit show` and `vigie rules` keep the stable
ids (rule ids, agency ids, event classes) and put these words beside them: agency
names, event classes, actions, rule words, dates, and the section of
docs/sources.md where each cited text is linked.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SOURCES_DOC = "docs/sources.md"
PARIS = ZoneInfo("Europe/Paris")

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

AGENCY_KINDS = {
    "departement": "département",
    "prefecture": "préfecture",
    "police_nationale": "police nationale",
    "gendarmerie": "gendarmerie",
    "sdis": "SDIS (pompiers)",
    "police_municipale": "police municipale",
    "platform_admin": "administration de la plateforme",
}

SITE_KINDS = {
    "college": "collège",
    "departmental_building": "bâtiment départemental",
    "sdis_station": "centre de secours (SDIS)",
    "commune_building": "bâtiment communal",
    "datacenter": "centre de données",
}

EVENT_CLASSES = {
    "intrusion": "intrusion (détecteur)",
    "tamper": "sabotage de caméra (détecteur)",
    "fire": "incendie (détecteur)",
    "alarm-intrusion": "alarme intrusion du bâtiment",
    "alarm-fire": "alarme incendie du bâtiment",
    "requisition": "réquisition judiciaire",
}

ACTIONS = {
    "view_clip": "voir l'enregistrement autour de l'événement",
    "view_live": "voir en direct",
    "extend": "prolonger la fenêtre",
    "export": "exporter l'enregistrement",
    "break_glass": "accès d'urgence",
}

DECISIONS = {"allow": "autorisé", "deny": "refusé"}

# The short word the matrix shows after an agency, and what it means.
RULE_WORDS = {
    "ACCESS-OWNER": ("propriétaire", "le service qui exploite le site"),
    "ACCESS-FORCE-COMPETENT": (
        "force compétente",
        "la police nationale ou la gendarmerie compétente dans la commune",
    ),
    "ACCESS-SDIS-FIRE": ("pompiers", "le SDIS, pour un incendie"),
    "ACCESS-REQUISITION-EXPORT": (
        "réquisition",
        "export de l'enregistrement sur réquisition judiciaire approuvée",
    ),
}

# Where each text is linked in docs/sources.md: (anchor, words found in a source).
SOURCE_ANCHORS = (
    ("csi", ("CSI", "sécurité intérieure", "R252-12")),
    ("cpp", ("procédure pénale", "CPP")),
    ("cc-2021-817-dc", ("2021-817",)),
    ("cc-2025-878-dc", ("2025-878",)),
    ("arrete-2007", ("3 août 2007",)),
    ("decret-2022-1152", ("2022-1152",)),
    ("loi-2023-380", ("2023-380",)),
    ("rgpd", ("RGPD",)),
    ("cnil", ("CNIL",)),
    ("anssi", ("ANSSI",)),
    ("apsad-i31", ("APSAD",)),
    ("code-du-travail", ("Code du travail",)),
    ("iec-62676-4", ("IEC 62676",)),
    ("onvif", ("ONVIF",)),
)


def source_anchors(source: str) -> list[str]:
    """The anchors of docs/sources.md for the texts a rule's source names."""
    return [anchor for anchor, words in SOURCE_ANCHORS if any(w in source for w in words)]


def source_links(source: str, prefix: str = "") -> str:
    """Markdown links to the sections of docs/sources.md for `source` (its own text
    when no linked text matches). `prefix`: the path from the document to the
    repository's root."""
    anchors = source_anchors(source)
    if not anchors:
        return source
    links = ", ".join(f"[{a}]({prefix}{SOURCES_DOC}#{a})" for a in anchors)
    return f"{source} ({links})"


def agency_label(agencies: dict, agency_id: str) -> str:
    """`Name (id)`, or the id alone when the inventory does not know it."""
    agency = agencies.get(agency_id)
    return f"{agency.name} ({agency_id})" if agency is not None else agency_id


def date_fr(value: dt.date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def datetime_fr(value: float | dt.datetime | None, zone: ZoneInfo = PARIS) -> str:
    """`7 décembre 2026 à 15:03:20 (heure de Paris)` from a POSIX time or an aware datetime."""
    if value is None or value == "":
        return "-"
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromtimestamp(float(value), dt.UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            return str(value)
    local = value.astimezone(zone)
    where = "heure de Paris" if zone is PARIS else str(zone)
    return f"{date_fr(local.date())} à {local:%H:%M:%S} ({where})"


# The rules of reading the inventory's files (src/vigie/yamlsrc.py, src/vigie/loader.py):
# vigie's own, a safe and bounded reading of untrusted files; they cite no legal text.
OWN_SOURCE = "vigie (lecture sûre des fichiers de l'inventaire)"
FILE_RULES = {
    "YAML-SYNTAX": "the file is not valid YAML (or nested too deeply)",
    "YAML-EMPTY": "the file is empty or holds no data",
    "YAML-ALIAS": "YAML anchors, aliases and merge keys are not allowed",
    "YAML-VALUE": "a value cannot be read as its type, or carries a tag",
    "YAML-DUPLICATE-KEY": "a key appears twice in a mapping",
    "YAML-UNREADABLE": "a symbolic link, a directory or an unreadable file",
    "YAML-TOO-LARGE": "a file or the inventory exceeds the size limit",
    "SCHEMA-UNKNOWN-KEY": "a key the schema does not know (a typo is never ignored)",
    "SCHEMA-MISSING": "a required key is missing",
    "SCHEMA-TYPE": "a value of the wrong type or out of range",
    "REF-DUPLICATE-ID": "two objects of the same kind share an id",
}
OPTIN_SOURCE = "vigie, adhésion d'une commune (docs/opt-in.md)"

# What each access decision rule says (src/vigie/access/rules.py), in French: the plan
# says why nobody may see a camera with these words and the rule id.
DECISION_RULES_FR = {
    "ACCESS-DEFAULT-DENY": "rien n'est permis qu'une règle ne permet",
    "ACCESS-UNKNOWN": "service, opérateur, caméra ou action inconnus : refusé",
    "ACCESS-ADMIN-NEVER": "les administrateurs de la plateforme ne voient jamais les images",
    "ACCESS-WAY-OTHER": "trois voies d'accès seulement (détecteur, alarme du bâtiment, "
    "réquisition judiciaire)",
    "ACCESS-WAY-DETECTOR": "un événement de détecteur n'ouvre une caméra que pour une classe "
    "que son détecteur licite signale",
    "ACCESS-WAY-ALARM": "une alarme n'ouvre une caméra que si elle vient d'une source déclarée "
    "pour ce site, de ce type, couvrant cette caméra",
    "ACCESS-WAY-REQUISITION": "une réquisition judiciaire donne seulement un export de "
    "l'enregistrement, à la police judiciaire, approuvé par la personne désignée par le "
    "titulaire de l'autorisation",
    "ACCESS-REQUISITION-FOUR-EYES": "celui qui approuve une réquisition n'est jamais "
    "l'officier qui l'a enregistrée",
    "ACCESS-DECISION-REQUIRED": "seul un service titulaire d'une décision de transmission "
    "pour le site reçoit ses images",
    "ACCESS-SDIS-PURPOSE": "le SDIS ne voit que les caméras à finalité secours/incendie ou "
    "risques naturels et technologiques",
    "ACCESS-REASON-REQUIRED": "une prolongation ou un accès d'urgence porte un motif écrit",
    "ACCESS-FOUR-EYES": "un export demande l'approbation d'une seconde personne du même service",
    "ACCESS-BREAK-GLASS": "accès d'urgence seulement par un superviseur d'un service compétent "
    "(DPO alerté)",
    "ACCESS-REQUISITION-EXPORT": "réquisition judiciaire approuvée : export de la fenêtre "
    "enregistrée",
    "ACCESS-FORCE-COMPETENT": "intrusion et sabotage : la force compétente dans la commune",
    "ACCESS-OWNER": "intrusion, sabotage, incendie : le service propriétaire du site",
    "ACCESS-SDIS-FIRE": "incendie : le SDIS",
    "ACCESS-NOT-COMPETENT": "le service n'est pas compétent pour cet événement à cet endroit",
}
