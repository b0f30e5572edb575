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

# What each access decision rule says (src/vigie/access_policy/decision_rules.py), in
# French: the plan says why nobody may see a camera with these words and the rule id.
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

NETWORKS = {
    "cameras": "caméras",
    "recorders": "enregistreurs",
    "management": "gestion",
    "agency": "services destinataires",
}
SEVERITIES = {"error": "erreur", "warning": "avertissement"}
EFFECTS = {"permit": "permet", "forbid": "interdit", "deny": "refuse"}

# What each rule checks, in French: `vigie rules` and the plan print these (the
# technicians' commands, validate and review, keep the English messages).
RULES_FR = {
    "REF-COMMUNE": "tout code INSEE désigne une commune actuelle des Yvelines",
    "REF-EPCI": "l'`epci` d'un service est le SIREN d'une intercommunalité des Yvelines",
    "REF-UPLINK": "le raccordement (`uplink`) d'un site est un point de présence",
    "REF-SEGMENT": "les deux extrémités d'un segment de fibre sont des points de présence",
    "REF-RECORDER": "chaque caméra est enregistrée par un enregistreur existant",
    "REF-DETECTOR-HOST": "une caméra avec détection a un hôte de détection pour l'analyser",
    "REF-AGENCY": "une transmission désigne un service existant",
    "REF-AUTHORISATION": "chaque site est couvert par une autorisation préfectorale listée",
    "REF-FORCE": "la commune de chaque site a sa force compétente (police ou gendarmerie)",
    "NET-PREFIX": "le super-réseau et le préfixe d'administration sont des réseaux IPv4 "
    "privés disjoints",
    "NET-CAPACITY": "chaque site tient dans son emplacement, chaque caméra dans son /24",
    "NET-LOCK": "le fichier de verrouillage donne à chaque site son emplacement et à chaque "
    "caméra son numéro",
    "NET-LOCK-MISSING": "les nouveaux sites et caméras sont inscrits dans le fichier de "
    "verrouillage",
    "FIBRE-TOPOLOGY": "un seul centre de données, que chaque point de présence atteint",
    "FIBRE-LOAD": "les flux de chaque segment de fibre restent sous 70 % de sa capacité",
    "STORAGE-DISK": "le disque de chaque enregistreur tient la conservation de ses caméras "
    "avec 20 % de marge",
    "LEGAL-RETENTION-MAX": "les enregistrements sont conservés 30 jours au plus",
    "LEGAL-RETENTION-AUTHORISATION": "la conservation ne dépasse pas celle que fixe "
    "l'autorisation du site",
    "LEGAL-RETENTION-COLLEGE": "caméras de collège : quelques jours suffisent en général "
    "(avertissement au-delà de 7)",
    "LEGAL-AUTHORISATION-VALID": "chaque autorisation est en vigueur et dure 5 ans au plus",
    "LEGAL-AUTHORISATION-RENEWAL": "avertissement quand une autorisation expire dans "
    "moins de 4 mois",
    "LEGAL-PURPOSE": "chaque caméra a au moins une finalité de la liste fermée de la loi",
    "LEGAL-PRIVACY-MASK": "une caméra de voie publique qui voit des habitations les masque",
    "LEGAL-COLLEGE-LIVING-AREA": "les lieux de vie des écoles et collèges (cour, cantine, "
    "salles de classe) ne sont filmés qu'en dehors des heures d'ouverture",
    "LEGAL-WORKPLACE-AREA": "aucune caméra ne filme les postes de travail, salles de pause "
    "ou toilettes",
    "LEGAL-IMAGE-RESOLUTION": "images enregistrées d'au moins 704x576 (champ étroit) ou 352x288",
    "LEGAL-IMAGE-FPS": "au moins 12 images/s en champ étroit sur mouvement rapide, sinon 6",
    "LEGAL-DETECTION-PUBLIC-ROAD": "aucune détection automatique sur une caméra qui filme "
    "la voie publique",
    "LEGAL-DETECTION-CLASSES": "détection d'intrusion, d'incendie et de sabotage seulement; "
    "jamais de biométrie",
    "LEGAL-TRANSMISSION-DECISION": "une transmission à un service cite sa décision; sur "
    "événement seulement, sauf décision contraire",
    "LEGAL-TRANSMISSION-RECIPIENT": "une décision de transmission désigne un service que la "
    "loi autorise à recevoir les images ou le propriétaire du site; la préfecture autorise "
    "le système, elle n'en reçoit pas les images",
    "LEGAL-PM-TERRITORY": "la police municipale ne voit que les caméras de sa commune ou de "
    "son intercommunalité",
    "LEGAL-FORCE-COMPETENT": "police nationale et gendarmerie ne reçoivent les images que là "
    "où elles sont la force compétente",
    "LEGAL-SDIS-PURPOSE": "le SDIS ne reçoit que les images des caméras à finalité secours "
    "et incendie ou risques naturels et technologiques",
    "LEGAL-CAMERA-UNSEEN": "un service peut voir chaque caméra lors d'un événement; une "
    "caméra que seule une réquisition judiciaire atteint ne sert aucune finalité",
    "LEGAL-ADMIN-NO-VIEW": "les administrateurs de la plateforme ne reçoivent jamais d'images",
    "REF-HOST-NAME": "les noms d'hôtes produits (site-caméra, site-recN, site-detN, site-gw) "
    "ne se confondent jamais",
    "ACCESS-WINDOW-RETENTION": "la fenêtre ouverte autour d'un événement (et sa "
    "prolongation) tient dans la conservation de chaque caméra",
    "ACCESS-TOKEN-LIFETIME": "les jetons de visionnage vivent 5 minutes au plus",
    "ACCESS-JOURNAL-RETENTION": "le journal d'audit est gardé 3 ans au moins, plus longtemps "
    "que toute image",
    "ACCESS-PSEUDONYM": "opérateurs et superviseurs sont pseudonymes (SERVICE/op-N, "
    "SERVICE/sup-N, SERVICE/grp-NOM)",
    "ACCESS-SUPERVISORS": "un service qui a des opérateurs nomme un superviseur, une "
    "seconde personne (quatre yeux) et un contact DPO",
    "ACCESS-ALARM-SOURCE": "une source d'alarme est nommée pour son site et couvre des "
    "caméras de ce site",
    "ACCESS-REQUISITION-APPROVER": "chaque autorisation utilisée nomme qui approuve les "
    "réquisitions judiciaires",
    "ACCESS-REQUISITION-DESIGNEE": "la personne qui approuve les réquisitions n'appartient à "
    "aucun service de police judiciaire",
    "ACCESS-ADMIN-SEPARATION": "les administrateurs de la plateforme n'approuvent rien et ne "
    "supervisent aucun visionnage",
    "SCHEDULE-OPENING-HOURS": "les heures d'ouverture se lisent (enregistrement et détection "
    "en dépendent)",
    "REF-CREDENTIAL-SCOPE": "l'identifiant d'une caméra appartient à son site ou au "
    "titulaire de son autorisation",
    "CAPACITY-ANALYSIS-STREAM": "une caméra avec détection a un flux d'analyse pas plus lourd "
    "que celui du banc d'essai",
    "FLEET-CAPACITY": "les cœurs des hôtes de détection suffisent à analyser chaque caméra "
    "à détection licite",
    "NET-ADMIN-SERVICES": "l'automate, le miroir de paquets et les services centraux sont "
    "des hôtes du réseau d'administration",
    "CAMERA-GOP-SLOW": "l'intervalle entre images clés d'une caméra est de 2 s au plus (le "
    "direct démarre et retarde d'autant)",
    "OPTIN-FOREIGN-FILE": "la demande d'une commune ne modifie que son fichier et le verrouillage",
    "OPTIN-ALLOCATION-MOVED": "les allocations de la branche cible ne bougent jamais",
    "OPTIN-LOCK-REUSE": "un emplacement du verrouillage n'est jamais donné à un autre site",
    "OPTIN-SITE-RETENTION": "un site n'est retiré qu'une fois ses images hors conservation",
    "YAML-SYNTAX": "le fichier n'est pas du YAML valide (ou est trop imbriqué)",
    "YAML-EMPTY": "le fichier est vide ou ne contient aucune donnée",
    "YAML-ALIAS": "ancres, alias et clés de fusion YAML sont interdits",
    "YAML-VALUE": "une valeur ne se lit pas dans son type, ou porte une étiquette",
    "YAML-DUPLICATE-KEY": "une clé apparaît deux fois",
    "YAML-UNREADABLE": "un lien symbolique, un dossier ou un fichier illisible",
    "YAML-TOO-LARGE": "un fichier ou l'inventaire dépasse la taille permise",
    "SCHEMA-UNKNOWN-KEY": "une clé que le schéma ne connaît pas (une faute de frappe n'est "
    "jamais ignorée)",
    "SCHEMA-MISSING": "une clé obligatoire manque",
    "SCHEMA-TYPE": "une valeur du mauvais type ou hors limites",
    "REF-DUPLICATE-ID": "deux objets de même nature ont le même identifiant",
    **DECISION_RULES_FR,
}

# Words of the rules' sources, in French (the plan and `vigie rules` cite them).
SOURCE_WORDS_FR = (
    ("one secret per trust domain", "un secret par domaine de confiance"),
    ("images only after a distinct alarm signal", "images seulement après un signal "
     "d'alarme distinct"),
    ("key frames every 2 s", "une image clé toutes les 2 s"),
    ("segments cut at key frames", "segments coupés aux images clés"),
    ("ended 31 March 2025", "terminée le 31 mars 2025"),
    ("the platform's purpose (images on event only, CSI L252-3)",
     "la finalité de la plateforme (images sur événement seulement, CSI L252-3)"),
    ("(purposes)", "(finalités)"),
    ("viewers are individually designated", "personnes individuellement désignées"),
    ("préfecture practice (renewal file 4 months before)",
     "pratique préfectorale (dossier de renouvellement 4 mois avant)"),
    ("préfecture authorisation", "autorisation préfectorale"),
    ("the platform's four-eyes principle", "principe des quatre yeux de la plateforme"),
    ("the holder designates who approves", "le titulaire désigne qui approuve"),
    ("access bounded to the alarm", "accès borné à l'alarme"),
    ("designated persons", "personnes désignées"),
    ("journal of exports", "journal des exports"),
    ("data minimisation", "minimisation des données"),
    ("each commune is policed by police nationale or gendarmerie",
     "chaque commune relève de la police nationale ou de la gendarmerie"),
    ("the competent force follows the commune", "la force compétente suit la commune"),
    ("competent force", "force compétente"),
    ("detector benchmark", "banc d'essai du détecteur"),
    ("cameras_per_core is measured on its reference analysis stream",
     "cameras_per_core est mesuré sur son flux d'analyse de référence"),
    ("one container per core", "un conteneur par cœur"),
    ("traceability: who, when, what, why", "traçabilité : qui, quand, quoi, pourquoi"),
    ("traceability", "traçabilité"),
    ("(3 years)", "(3 ans)"),
    ("separation of duties", "séparation des tâches"),
    ("sizing", "dimensionnement"),
    ("70 % max fibre load", "charge de fibre 70 % au plus"),
    ("storage = bitrate/8 x 86,400 x days x 1.2", "stockage = débit/8 x 86 400 x jours x 1,2"),
    ("vigie data model", "modèle de données de vigie"),
    ("one name per host", "un nom par hôte"),
    ("firewall sets", "ensembles du pare-feu"),
    ("Ansible inventory", "inventaire Ansible"),
    ("vigie network plan", "plan d'adressage de vigie"),
    ("allocations never move", "les allocations ne bougent jamais"),
    ("annex 7", "annexe 7"),
    ("recommandations vidéoprotection", "recommandations vidéoprotection"),
)  # fmt: skip


def source_fr(source: str) -> str:
    """A rule's source in French (the texts' own titles are already French)."""
    for english, french in SOURCE_WORDS_FR:
        source = source.replace(english, french)
    return source


def rule_fr(rule: str) -> str:
    """What a rule checks, in French ("" when no French wording is known)."""
    return RULES_FR.get(rule, "")


# The inventory's words a mayor reads in the plan (ids stay beside them).
PURPOSES = {
    "public_buildings": "protection des bâtiments publics",
    "national_defence": "défense nationale",
    "traffic_regulation": "régulation du trafic",
    "traffic_offences": "constat des infractions routières",
    "crime_prevention": "prévention des atteintes aux personnes et aux biens",
    "terrorism": "prévention du terrorisme",
    "natural_technological_risks": "prévention des risques naturels ou technologiques",
    "rescue_fire": "secours aux personnes et défense contre l'incendie",
    "amusement_parks": "sécurité des parcs d'attraction",
    "vehicle_insurance": "obligation d'assurance des véhicules",
    "illegal_dumping": "dépôts sauvages de déchets",
}
AREAS = {
    "entrance": "entrée",
    "corridor": "couloir",
    "perimeter": "périmètre",
    "parking": "parking",
    "street": "rue",
    "yard": "cour",
    "hall": "hall",
    "technical_room": "local technique",
    "storage": "stockage",
    "playground": "cour de récréation",
    "canteen": "cantine",
    "classroom": "salle de classe",
    "workstation": "poste de travail",
    "break_room": "salle de pause",
    "toilets": "toilettes",
}
TRANSMISSION_MODES = {"on_event": "sur événement", "permanent": "permanente"}


def word(words: dict[str, str], value: str) -> str:
    """`mot français (`id`)`, or the id alone when no word is known."""
    return f"{words[value]} (`{value}`)" if value in words else f"`{value}`"
