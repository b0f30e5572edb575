"""The policy the service asks, bound to the one model: the Cedar policy
(`vigie.access_policy.policy.AccessPolicy`) and the access settings, from the model's
hand-over (vigie.desired.gateway)."""

from __future__ import annotations

import datetime as dt
import threading

from vigie.access_policy.events import JUDICIAL_POLICE_KINDS, Event, Request
from vigie.access_policy.policy import AccessPolicy
from vigie.desired.gateway import GatewayHandOver
from vigie_access.ports import AccessTerms, Competent, Verdict


def _event(cls: str, origin: str) -> Event:
    if origin.startswith("alarm:"):
        return Event("alarm", cls, origin.removeprefix("alarm:"))
    if origin == "requisition":
        return Event("requisition")
    return Event("detector", cls)


class ModelPolicy:
    def __init__(self, doc: GatewayHandOver):
        self.doc = doc
        entities = [e.model_dump() for e in doc.policy.entities]
        self.engine = AccessPolicy.from_document(doc.policy.text, entities)
        self._people = {p for a in doc.agencies.values() for p in (*a.operators, *a.supervisors)}
        self._lock = threading.Lock()  # the MQTT thread and the HTTP loop both ask

    def competent(self, site: str, camera: str, cls: str, origin: str) -> list[Competent]:
        with self._lock:
            found = self.engine.competent_agencies(f"{site}/{camera}", _event(cls, origin))
        return [Competent(agency, rule) for agency, rule in found]

    def authorize(
        self, operator, action, site, camera, cls, origin, approver="", reason="", approved_by=""
    ):
        req = Request(
            operator,
            action,
            f"{site}/{camera}",
            _event(cls, origin),
            approver=approver,
            approved_by=approved_by,
            reason=reason,
        )
        with self._lock:
            v = self.engine.authorize(req)
        return Verdict(v.allowed, v.rule, v.reason)

    def supervision_agencies(self) -> list[str]:
        return sorted(i for i, a in self.doc.agencies.items() if a.kind == "departement")

    def terms(self, site: str) -> AccessTerms:
        s = self.doc.sites[site].terms
        m = dt.timedelta(minutes=1)
        return AccessTerms(
            before=s.window_before_min * m,
            after=s.window_after_min * m,
            live=s.live_view_min * m,
            token_lifetime=dt.timedelta(seconds=s.token_lifetime_s),
            extension=s.extension_min * m,
            break_glass=s.break_glass_min * m,
        )

    def knows_operator(self, operator: str) -> bool:
        return operator in self._people

    def is_admin(self, agency: str) -> bool:
        a = self.doc.agencies.get(agency)
        return a is not None and a.kind == "platform_admin"

    def site_info(self, site: str, agency: str) -> dict:
        """What the page shows about the site; for the SDIS, what helps it arrive
        faster with the right means (address, kind, access point when the inventory has them)."""
        s = self.doc.sites[site]
        info = {"name": s.name, "kind": s.kind, "insee": s.insee}
        for field in ("address", "access_point"):
            if getattr(s, field):
                info[field] = getattr(s, field)
        return info

    def roles(self, operator: str) -> dict:
        """What the page offers this person (the policy still decides each request):
        break-glass to supervisors, requisitions to judicial police agencies'
        people, approval to the designee of the sites' authorisation."""
        agency = self.doc.agencies.get(operator.partition("/")[0])
        if agency is None:
            return {"supervisor": False, "judicial": False, "designee_of": []}
        return {
            "supervisor": operator in agency.supervisors,
            "judicial": agency.kind in JUDICIAL_POLICE_KINDS,
            "designee_of": sorted(
                i for i, s in self.doc.sites.items() if s.requisition_approver == operator
            ),
        }

    def requisition_approver(self, site: str) -> str:
        return self.doc.sites[site].requisition_approver

    def cameras(self) -> list[dict]:
        """Every camera, for the break-glass and requisition forms."""
        return [
            {"camera": f"{c.site}/{c.camera}", "site": self.doc.sites[c.site].name}
            for c in sorted(self.doc.cameras.values(), key=lambda c: c.site)
        ]
