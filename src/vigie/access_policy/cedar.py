"""The access law as a Cedar policy set, its schema, and the inventory as Cedar entities.

The policies say the law once, in terms of attributes; the entities carry the facts
of the inventory (who holds a decision for a site, which force polices a commune,
which classes a camera's detector raises...). `vigie access export DIR OUT/` writes
all three; `vigie.access_policy.policy.AccessPolicy` decides with them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from vigie.model import Agency, Camera, Inventory, Site

from .competence import (
    alarm_sources,
    decision_holders,
    detection_classes,
    has_sdis_purpose,
    owner_kind,
    people,
    requisition_approver,
    territory,
)
from .decision_rules import DECISION_RULES
from .events import ACTIONS

NS = "Vigie"

SCHEMA = """namespace Vigie {
  entity Agency = { kind: String, force: String, territory: Set<String> };
  entity Operator in [Agency] = { agency: Agency, supervisor: Bool, pseudonym: String };
  entity Site = {
    insee: String, force: String, owner_kind: String,
    decision_holders: Set<Agency>, requisition_approver: String
  };
  entity Camera in [Site] = {
    site: Site, detection: Set<String>, sdis_purpose: Bool,
    intrusion_alarms: Set<String>, fire_alarms: Set<String>
  };
  type Request = {
    way: String, event_class: String, source: String,
    approver?: Operator, approved_by: String, reason_given: Bool
  };
  action view_clip, view_live, extend, export, break_glass
    appliesTo { principal: [Operator], resource: [Camera], context: Request };
}
"""

# The law. Cedar denies by default; any `forbid` beats every `permit`.
POLICIES = """
@id("ACCESS-ADMIN-NEVER")
forbid (principal, action, resource)
when { principal.agency.kind == "platform_admin" };

@id("ACCESS-WAY-OTHER")
forbid (principal, action, resource)
unless { ["detector", "alarm", "requisition"].contains(context.way) };

@id("ACCESS-WAY-DETECTOR")
forbid (principal, action, resource)
when { context.way == "detector" && !resource.detection.contains(context.event_class) };

@id("ACCESS-WAY-ALARM")
forbid (principal, action, resource)
when {
  context.way == "alarm" &&
  !((context.event_class == "intrusion" && resource.intrusion_alarms.contains(context.source)) ||
    (context.event_class == "fire" && resource.fire_alarms.contains(context.source)))
};

@id("ACCESS-WAY-REQUISITION")
forbid (principal, action, resource)
when {
  context.way == "requisition" &&
  !(action == Vigie::Action::"export" &&
    ["police_nationale", "gendarmerie"].contains(principal.agency.kind) &&
    resource.site.requisition_approver != "" &&
    context.approved_by == resource.site.requisition_approver)
};

@id("ACCESS-REQUISITION-FOUR-EYES")
forbid (principal, action, resource)
when { context.way == "requisition" && context.approved_by == principal.pseudonym };

@id("ACCESS-DECISION-REQUIRED")
forbid (principal, action, resource)
when { context.way != "requisition" && !resource.site.decision_holders.contains(principal.agency) };

@id("ACCESS-SDIS-PURPOSE")
forbid (principal, action, resource)
when { principal.agency.kind == "sdis" && !resource.sdis_purpose };

@id("ACCESS-REASON-REQUIRED")
forbid (principal, action in [Vigie::Action::"extend", Vigie::Action::"break_glass"], resource)
unless { context.reason_given };

@id("ACCESS-FOUR-EYES")
forbid (principal, action == Vigie::Action::"export", resource)
when {
  context.way != "requisition" &&
  !(context has approver && context.approver != principal && context.approver in principal.agency)
};

@id("ACCESS-BREAK-GLASS")
forbid (principal, action == Vigie::Action::"break_glass", resource)
unless { principal.supervisor };

@id("ACCESS-FORCE-COMPETENT")
permit (principal, action, resource)
when {
  ["intrusion", "tamper"].contains(context.event_class) &&
  principal.agency.force != "" && principal.agency.force == resource.site.force
};

@id("ACCESS-OWNER")
permit (principal, action, resource)
when {
  ["intrusion", "tamper", "fire"].contains(context.event_class) &&
  principal.agency.kind == resource.site.owner_kind &&
  (principal.agency.kind != "police_municipale" ||
   principal.agency.territory.contains(resource.site.insee))
};

@id("ACCESS-SDIS-FIRE")
permit (principal, action, resource)
when { context.event_class == "fire" && principal.agency.kind == "sdis" };

@id("ACCESS-REQUISITION-EXPORT")
permit (principal, action == Vigie::Action::"export", resource)
when { context.way == "requisition" };
"""


def uid(kind: str, ident: str) -> dict:
    return {"type": f"{NS}::{kind}", "id": ident}


def action_uid(action: str) -> dict:
    return {"type": f"{NS}::Action", "id": action}


def policies_text(inv: Inventory) -> str:
    """The policy set for this inventory: the law, plus one named forbid per administrator
    agency (so an auditor reads who is excluded without knowing the attribute)."""
    admins = sorted(a.id for a in inv.agencies.values() if a.kind == "platform_admin")
    header = [
        f"// vigie access policy for {inv.departement.name} ({inv.departement.code}).",
        "// Generated by `vigie access export`; do not edit. Rules: docs/access.md.",
        "// Default deny; any forbid beats every permit.",
    ]
    named = [
        f'@id("ACCESS-ADMIN-NEVER/{a}")\n'
        f'forbid (principal in {NS}::Agency::"{a}", action, resource);'
        for a in admins
    ]
    return "\n".join(header) + "\n" + POLICIES + "\n" + "\n\n".join(named) + ("\n" if named else "")


def rule_of(policy_id: str) -> str:
    """`ACCESS-ADMIN-NEVER/vigie-ops` -> `ACCESS-ADMIN-NEVER`."""
    return policy_id.split("/", 1)[0]


def check_policies(text: str) -> list[str]:
    """Validate the policies against the schema; errors in words (empty when valid).
    A policy set that does not validate is never deployed."""
    # Imported here: the inventory plugin writes the entities, it never runs the engine.
    import cedarpy

    result = cedarpy.validate_policies(text, SCHEMA)
    errors = [str(e) for e in result.errors]
    ids = set(result.id_annotations_by_policy_id.values()) if not errors else set()
    unknown = sorted(rule_of(i) for i in ids if rule_of(i) not in DECISION_RULES)
    return errors + [f"policy {i} names no decision rule" for i in unknown]


# --- entities -----------------------------------------------------------------------------


def agency_entity(agency: Agency) -> dict:
    from vigie.vocabulary import FORCE_OF_AGENCY

    return {
        "uid": uid("Agency", agency.id),
        "attrs": {
            "kind": agency.kind,
            "force": FORCE_OF_AGENCY.get(agency.kind, ""),
            "territory": sorted(territory(agency)),
        },
        "parents": [],
    }


def operator_entity(operator: str, agency: Agency) -> dict:
    return {
        "uid": uid("Operator", operator),
        "attrs": {
            "agency": {"__entity": uid("Agency", agency.id)},
            "supervisor": operator in agency.supervisors,
            "pseudonym": operator,
        },
        "parents": [uid("Agency", agency.id)],
    }


def site_entity(inv: Inventory, site: Site) -> dict:
    return {
        "uid": uid("Site", site.id),
        "attrs": {
            "insee": site.insee,
            "force": inv.competent_force.get(site.insee, ""),
            "owner_kind": owner_kind(site),
            "decision_holders": [
                {"__entity": uid("Agency", a)} for a in sorted(decision_holders(site))
            ],
            "requisition_approver": requisition_approver(inv, site),
        },
        "parents": [],
    }


def camera_entity(site: Site, camera: Camera) -> dict:
    return {
        "uid": uid("Camera", f"{site.id}/{camera.id}"),
        "attrs": {
            "site": {"__entity": uid("Site", site.id)},
            "detection": sorted(detection_classes(camera)),
            "sdis_purpose": has_sdis_purpose(camera),
            "intrusion_alarms": sorted(
                s.identity for s in alarm_sources(site, camera, "intrusion")
            ),
            "fire_alarms": sorted(s.identity for s in alarm_sources(site, camera, "fire")),
        },
        "parents": [uid("Site", site.id)],
    }


def all_entities(inv: Inventory) -> list[dict]:
    """Every entity of the inventory (what `vigie access export` writes)."""
    return entities(inv, inv.sites.values())


def entities(inv: Inventory, sites: Iterable[Site]) -> list[dict]:
    """Every agency and operator, and these sites and their cameras."""
    out = []
    for agency in inv.agencies.values():
        out.append(agency_entity(agency))
        out.extend(operator_entity(p, agency) for p in sorted(people(agency)))
    for site in sites:
        out.append(site_entity(inv, site))
        out.extend(camera_entity(site, cam) for cam in site.cameras)
    return out


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def export_files(inv: Inventory) -> dict[str, str]:
    """File name -> content: schema, policies, entities, and their SHA-256."""
    files = {
        "vigie.cedarschema": SCHEMA,
        "vigie.cedar": policies_text(inv),
        "entities.json": json.dumps(all_entities(inv), indent=1, ensure_ascii=False) + "\n",
    }
    files["SHA256SUMS"] = "".join(f"{digest(t)}  {n}\n" for n, t in sorted(files.items()))
    return files


__all__ = ["ACTIONS", "POLICIES", "SCHEMA", "check_policies", "export_files", "policies_text"]
