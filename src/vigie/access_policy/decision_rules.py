"""The decision rules: a stable id, its source and what it says (docs/access.md lists them).

The model (`vigie.access_policy.competence`) and the Cedar policy set (`vigie.access_policy.cedar`)
both name these ids; the differential test checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DecisionRule:
    id: str
    effect: str  # "permit", "forbid" or "deny" (no engine policy: refused before or by default)
    source: str
    summary: str


DECISION_RULES = {
    r.id: r
    for r in (
        DecisionRule(
            "ACCESS-DEFAULT-DENY",
            "deny",
            "CSI L252-2; décret 2022-1152",
            "nothing is permitted that no rule permits",
        ),
        DecisionRule(
            "ACCESS-UNKNOWN",
            "deny",
            "CSI L252-2 (viewers are individually designated)",
            "unknown agency, operator, camera or action: refused",
        ),
        DecisionRule(
            "ACCESS-ADMIN-NEVER",
            "forbid",
            "décret 2022-1152; separation of duties",
            "platform administrators never see images, whatever else holds",
        ),
        DecisionRule(
            "ACCESS-WAY-OTHER",
            "forbid",
            "CSI L252-2; APSAD I31 annex 7",
            "three lawful ways in (detector anomaly, building alarm, judicial requisition); "
            "anything else is refused",
        ),
        DecisionRule(
            "ACCESS-WAY-DETECTOR",
            "forbid",
            "CNIL; Conseil constitutionnel 2025-878 DC; APSAD I31 annex 7",
            "an anomaly opens a camera only for a class its lawful detector raises",
        ),
        DecisionRule(
            "ACCESS-WAY-ALARM",
            "forbid",
            "APSAD I31 annex 7 (images only after a distinct alarm signal)",
            "a building alarm opens a camera only if posted by a source named for that "
            "site, of that kind, covering that camera",
        ),
        DecisionRule(
            "ACCESS-WAY-REQUISITION",
            "forbid",
            "Code de procédure pénale art. 60-1, 77-1-1; CSI L252-3",
            "a judicial requisition yields an export of recorded footage only (never live), "
            "to a judicial police agency, approved by the holder's designee",
        ),
        DecisionRule(
            "ACCESS-REQUISITION-FOUR-EYES",
            "forbid",
            "Code de procédure pénale art. 60-1, 77-1-1; the platform's four-eyes principle",
            "the designee who approves a requisition is never the officer who recorded it",
        ),
        DecisionRule(
            "ACCESS-DECISION-REQUIRED",
            "forbid",
            "CSI L252-3",
            "only an agency holding a transmission decision for the site receives its images",
        ),
        DecisionRule(
            "ACCESS-SDIS-PURPOSE",
            "forbid",
            "CSI L251-2, L252-3",
            "the SDIS sees only cameras with a rescue/fire or natural/technological-risk purpose",
        ),
        DecisionRule(
            "ACCESS-REASON-REQUIRED",
            "forbid",
            "décret 2022-1152 (traceability: who, when, what, why)",
            "an extension or a break-glass carries a written reason "
            "(blank or invisible characters are no reason)",
        ),
        DecisionRule(
            "ACCESS-FOUR-EYES",
            "forbid",
            "RGPD art. 32; arrêté du 3 août 2007 (journal of exports)",
            "an export needs the approval of a second person of the same agency",
        ),
        DecisionRule(
            "ACCESS-BREAK-GLASS",
            "forbid",
            "RGPD art. 32; décret 2022-1152",
            "break-glass only by a supervisor of a competent agency (DPO alerted, reviewed)",
        ),
        # A requisition is named as such, even if it carries an event class.
        DecisionRule(
            "ACCESS-REQUISITION-EXPORT",
            "permit",
            "Code de procédure pénale art. 60-1, 77-1-1",
            "an approved judicial requisition: export of the recorded window",
        ),
        DecisionRule(
            "ACCESS-FORCE-COMPETENT",
            "permit",
            "CSI L252-2, L252-3; R252-12",
            "intrusion and tamper: the force competent in the commune "
            "(police nationale or gendarmerie)",
        ),
        DecisionRule(
            "ACCESS-OWNER",
            "permit",
            "CSI L252-3; Conseil constitutionnel 2021-817 DC §80",
            "intrusion, tamper, fire: the site's owner (the département's supervision for "
            "its buildings, the SDIS for its stations, the police municipale for its commune "
            "or EPCI only)",
        ),
        DecisionRule(
            "ACCESS-SDIS-FIRE",
            "permit",
            "CSI L252-3",
            "fire: the SDIS",
        ),
        DecisionRule(
            "ACCESS-NOT-COMPETENT",
            "deny",
            "CSI L252-3",
            "the agency is not competent for this class of event at this place",
        ),
    )
}
