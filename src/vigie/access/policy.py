"""`AccessPolicy`: the decisions the gateway asks for, taken by the Cedar engine.

    policy = AccessPolicy.from_inventory(load_inventory("inventories/pilot"))
    policy.competent("col-houdan/portail", Event("detector", "intrusion"))
    policy.authorize(Request("ggd78/op-0007", "view_clip", "col-houdan/portail", event))

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
from .competence import people
from .events import ACTIONS, Event, Request, Verdict
from .rules import DECISION_RULES

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
        self.inv = inv
        self.policies = policies if policies is not None else cedar.policies_text(inv)
        errors = cedar.check_policies(self.policies)
        if errors:
            raise PolicyRejected(errors)
        self._policy_set = cedarpy.PolicySet.from_str(self.policies)
        self._agencies = {a.id: cedar.agency_entity(a) for a in inv.agencies.values()}
        self._operators = {
            p: cedar.operator_entity(p, a) for a in inv.agencies.values() for p in people(a)
        }
        self._sites = {s.id: cedar.site_entity(inv, s) for s in inv.sites.values()}
        self._cameras = {
            f"{s.id}/{c.id}": cedar.camera_entity(s, c)
            for s in inv.sites.values()
            for c in s.cameras
        }
        self._slices: dict[str, cedarpy.Entities] = {}

    @classmethod
    def from_inventory(cls, inv: Inventory) -> AccessPolicy:
        return cls(inv)

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
        for agency in self.inv.agencies.values():
            op = self.representative(agency.id)
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
        for site in self.inv.sites:
            self._slice(site)

    # --- internals -------------------------------------------------------------------------

    @staticmethod
    def representative(agency: str) -> str:
        """A principal that stands for a whole agency (matrix, notifications)."""
        return f"{agency}/agency"

    def _representative_entity(self, agency: str) -> dict:
        return cedar.operator_entity(self.representative(agency), self.inv.agencies[agency])

    def _slice(self, site: str) -> cedarpy.Entities:
        """The entities a decision at this site may touch, parsed once."""
        handle = self._slices.get(site)
        if handle is None:
            ents = [self._sites[site], *self._agencies.values(), *self._operators.values()]
            ents += [self._representative_entity(a) for a in self._agencies]
            ents += [self._cameras[f"{site}/{c.id}"] for c in self.inv.sites[site].cameras]
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
