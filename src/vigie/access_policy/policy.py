"""`AccessPolicy`: the decisions the gateway asks for, taken by the Cedar engine.

    policy = AccessPolicy.from_inventory(load_inventory("inventories/pilot"))
    policy.competent("col-houdan/portail", Event("detector", "intrusion"))
    policy.authorize(Request("ggd78/op-0007", "view_clip", "col-houdan/portail", event))

The access service builds it from its hand-over instead (`AccessPolicy.from_document`:
the policy set's text and the Cedar entities the model wrote), never from the inventory.

The policy set is parsed once; the entities are sliced per site (the site, its
cameras, every agency and operator) and each slice is parsed once, on first use.
Unknown names are refused before the engine; an engine error is a refusal (fail closed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import cedarpy

from vigie.model import Inventory

from . import cedar
from .decision_rules import DECISION_RULES
from .events import ACTIONS, Event, Request, Verdict

_ORDER = {rule_id: i for i, rule_id in enumerate(DECISION_RULES)}


class PolicyRejected(Exception):
    """The policy set does not validate against its schema: it is not deployed."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True, slots=True)
class Competence:
    agency: str
    verdict: Verdict


class AccessPolicy:
    def __init__(self, inv: Inventory, policies: str | None = None):
        text = policies if policies is not None else cedar.policies_text(inv)
        self._load(text, cedar.all_entities(inv))

    @classmethod
    def from_inventory(cls, inv: Inventory) -> AccessPolicy:
        return cls(inv)

    @classmethod
    def from_document(cls, policies: str, entities: list[dict]) -> AccessPolicy:
        """The policy from its serialised form: the policy set's text and the Cedar
        entities (`cedar.entities`), as the access service's hand-over carries them."""
        self = cls.__new__(cls)
        self._load(policies, entities)
        return self

    def _load(self, policies: str, entities: list[dict]) -> None:
        self.policies = policies
        errors = cedar.check_policies(self.policies)
        if errors:
            raise PolicyRejected(errors)
        self._policy_set = cedarpy.PolicySet.from_str(self.policies)
        by_type: dict[str, dict[str, dict]] = {}
        for ent in entities:
            kind = ent["uid"]["type"].removeprefix(f"{cedar.NS}::")
            by_type.setdefault(kind, {})[ent["uid"]["id"]] = ent
        self._agencies = by_type.get("Agency", {})
        self._operators = by_type.get("Operator", {})
        self._sites = by_type.get("Site", {})
        self._cameras = by_type.get("Camera", {})
        self._site_cameras: dict[str, list[str]] = {s: [] for s in self._sites}
        for camera in self._cameras:
            self._site_cameras.setdefault(camera.split("/", 1)[0], []).append(camera)
        self._slices: dict[str, cedarpy.Entities] = {}

    # --- what the gateway calls ------------------------------------------------------------

    def authorize(self, req: Request) -> Verdict:
        """May `req.operator` do `req.action` on `req.camera` for `req.event`?"""
        unknown = self._unknown(req)
        if unknown:
            return Verdict(False, "ACCESS-UNKNOWN", unknown)
        return self._decide([req], self._slice(req.camera.split("/", 1)[0]))[0]

    def competent(self, camera: str, event: Event) -> list[Competence]:
        """Every agency's verdict for `event` at `camera` (view_clip; export for a
        requisition). The allowed ones are the agencies to notify, with the rule behind."""
        if camera not in self._cameras:
            return []
        reqs = []
        for agency in self._agencies:
            op = self.representative(agency)
            action = "export" if event.way == "requisition" else "view_clip"
            approved_by = self._sites[camera.split("/")[0]]["attrs"]["requisition_approver"]
            reqs.append(Request(op, action, camera, event, approved_by=approved_by))
        verdicts = self._decide(reqs, self._slice(camera.split("/", 1)[0]))
        return [Competence(r.agency, v) for r, v in zip(reqs, verdicts, strict=True)]

    def competent_agencies(self, camera: str, event: Event) -> list[tuple[str, str]]:
        """(agency id, rule id) of the agencies competent for this event at this camera."""
        return [
            (c.agency, c.verdict.rule) for c in self.competent(camera, event) if c.verdict.allowed
        ]

    def warm(self) -> None:
        """Parse every site's entities now (the gateway calls it at start)."""
        for site in self._sites:
            self._slice(site)

    # --- internals -------------------------------------------------------------------------

    @staticmethod
    def representative(agency: str) -> str:
        """A principal that stands for a whole agency (matrix, notifications)."""
        return f"{agency}/agency"

    def _representative_entity(self, agency: str) -> dict:
        """What `cedar.operator_entity` says of the agency's representative."""
        rep = self.representative(agency)
        known = self._operators.get(rep)
        return {
            "uid": cedar.uid("Operator", rep),
            "attrs": {
                "agency": {"__entity": cedar.uid("Agency", agency)},
                "supervisor": bool(known and known["attrs"]["supervisor"]),
                "pseudonym": rep,
            },
            "parents": [cedar.uid("Agency", agency)],
        }

    def _slice(self, site: str) -> cedarpy.Entities:
        """The entities a decision at this site may touch, parsed once."""
        handle = self._slices.get(site)
        if handle is None:
            ents = [self._sites[site], *self._agencies.values(), *self._operators.values()]
            ents += [self._representative_entity(a) for a in self._agencies]
            ents += [self._cameras[c] for c in self._site_cameras[site]]
            handle = self._slices[site] = cedarpy.Entities.from_json_str(json.dumps(ents))
        return handle

    def _unknown(self, req: Request) -> str:
        if req.operator not in self._operators:
            return f"unknown operator {req.operator!r}"
        if req.camera not in self._cameras:
            return f"unknown camera {req.camera!r}"
        if req.action not in ACTIONS:
            return f"unknown action {req.action!r}"
        return ""

    def _decide(self, reqs: list[Request], ents) -> list[Verdict]:
        results = cedarpy.is_authorized_batch(
            [_cedar_request(r) for r in reqs], self._policy_set, ents
        )
        return [_verdict(res) for res in results]


def _cedar_request(req: Request) -> dict:
    context = {
        "way": req.event.way,
        "event_class": req.event.event_class,
        "source": req.event.source,
        "approved_by": req.approved_by,
        "reason_given": req.reason_given,  # computed once (events.written), as the model
    }
    if req.approver:
        context["approver"] = {"__entity": cedar.uid("Operator", req.approver)}
    return {
        "principal": cedar.uid("Operator", req.operator),
        "action": cedar.action_uid(req.action),
        "resource": cedar.uid("Camera", req.camera),
        "context": context,
    }


def _verdict(res) -> Verdict:
    diag = res.diagnostics
    if diag.errors:  # fail closed: an erroring forbid must not let a permit through
        return Verdict(False, "ACCESS-DEFAULT-DENY", "engine error: " + "; ".join(diag.errors))
    ids = diag.id_annotations_by_reason or {}
    rules = sorted(
        {cedar.rule_of(ids.get(r, r)) for r in diag.reasons}, key=lambda r: _ORDER.get(r, 99)
    )
    if res.allowed:
        rule = rules[0]
        return Verdict(True, rule, DECISION_RULES[rule].summary)
    if rules:
        return Verdict(False, rules[0], DECISION_RULES[rules[0]].summary)
    rule = "ACCESS-NOT-COMPETENT"
    return Verdict(False, rule, DECISION_RULES[rule].summary)
