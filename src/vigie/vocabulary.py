"""Closed lists the law and the guides fix. Each list cites where it comes from."""

# CSI L251-2: the purposes a video-protection system may pursue (closed list of 11).
PURPOSES = {
    "public_buildings": "protection of public buildings and installations and their surroundings",
    "national_defence": "safeguard of installations useful to national defence",
    "traffic_regulation": "regulation of transport flows",
    "traffic_offences": "recording of traffic offences",
    "crime_prevention": "prevention of attacks on people and property in exposed places",
    "terrorism": "prevention of acts of terrorism",
    "natural_technological_risks": "prevention of natural or technological risks",
    "rescue_fire": "rescue of people and fire defence",
    "amusement_parks": "safety of facilities open to the public in amusement parks",
    "vehicle_insurance": "enforcement of the vehicle insurance obligation",
    "illegal_dumping": "prevention and recording of illegal dumping of waste",
}

# CNIL, Conseil constitutionnel 2025-878 DC: what a detector may look for on a
# camera that does not film the public road. Never biometrics.
DETECTION_CLASSES = {"intrusion", "fire", "tamper"}
BIOMETRIC_CLASSES = {"face", "face_recognition", "biometric", "person_identification", "gait"}

# SDIS may receive images of cameras with these purposes only (CSI L252-3).
SDIS_PURPOSES = {"rescue_fire", "natural_technological_risks"}

# What a camera looks at. CNIL: collèges may film accesses and corridors, not
# living areas during opening hours; workplaces: never workstations, break
# rooms or toilets.
AREAS = {
    "entrance",
    "corridor",
    "perimeter",
    "parking",
    "street",
    "yard",
    "hall",
    "technical_room",
    "storage",
    "playground",
    "canteen",
    "classroom",
    "workstation",
    "break_room",
    "toilets",
}
COLLEGE_LIVING_AREAS = {"playground", "canteen", "classroom"}
WORKPLACE_FORBIDDEN_AREAS = {"workstation", "break_room", "toilets"}

SITE_KINDS = ("college", "departmental_building", "sdis_station", "commune_building", "datacenter")
AGENCY_KINDS = (
    "departement",
    "prefecture",
    "police_nationale",
    "gendarmerie",
    "sdis",
    "police_municipale",
    "platform_admin",
)
FORCE_OF_AGENCY = {"police_nationale": "police", "gendarmerie": "gendarmerie"}
