"""The policy the service asks, bound to the one model: the Cedar policy
(`vigie.access.policy.AccessPolicy`) and access settings, read from the inventory."""

from __future__ import annotations

import datetime as dt
import threading

from vigie.access.competence import people, requisition_approver
from vigie.access.events import JUDICIAL_POLICE_KINDS, Event, Request
from vigie.access.policy import AccessPolicy
from vigie.access.settings import site_settings
from vigie.model import Inventory
from vigie_access.ports import AccessTerms, Competent, Verdict


def _event(cls: str, origin: str) -> Event:
    if origin.startswith("alarm:"):
        return Event("alarm", cls, origin.removeprefix("alarm:"))
    if origin == "requisition":
        return Event("requisition")
    return Event("detector", cls)


class ModelPolicy:
    def __init__(self, inv: Inventory):
        self.inv = inv
        self.engine = AccessPolicy.from_inventory(inv)
        self._people = {p for a in inv.agencies.values() for p in people(a)}
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
        return sorted(a.id for a in self.inv.agencies.values() if a.kind == "departement")

    def terms(self, site: str) -> AccessTerms:
        s = site_settings(self.inv, self.inv.sites[site])
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
        a = self.inv.agencies.get(agency)
        return a is not None and a.kind == "platform_admin"

    def site_info(self, site: str, agency: str) -> dict:
        """What the page shows about the site; for the SDIS, what helps it arrive
        faster with the right means (address, kind, access point when the inventory has them)."""
        s = self.inv.sites[site]
        info = {"name": s.name, "kind": s.kind, "insee": s.insee}
        for field in ("address", "access_point"):
            if getattr(s, field, None):
                info[field] = getattr(s, field)
        return info

    def roles(self, operator: str) -> dict:
        """What the page offers this person (the policy still decides each request):
        break-glass to supervisors, requisitions to judicial police agencies'
        people, approval to the designee of the sites' authorisation."""
        agency = self.inv.agencies.get(operator.partition("/")[0])
        if agency is None:
            return {"supervisor": False, "judicial": False, "designee_of": []}
        return {
            "supervisor": operator in agency.supervisors,
            "judicial": agency.kind in JUDICIAL_POLICE_KINDS,
            "designee_of": sorted(
                s.id for s in self.inv.sites.values() if self.requisition_approver(s.id) == operator
            ),
        }

    def requisition_approver(self, site: str) -> str:
        return requisition_approver(self.inv, self.inv.sites[site])

    def cameras(self) -> list[dict]:
        """Every camera, for the break-glass and requisition forms."""
        return [
            {"camera": f"{s.id}/{c.id}", "site": s.name}
            for s in sorted(self.inv.sites.values(), key=lambda s: s.id)
            for c in s.cameras
        ]
