"""Who may see a camera on each event, and why: the one answer that `vigie plan`,
`vigie access explain` and `vigie access matrix` read.

Each agency is asked as a whole (a representative operator): view the clip around
the event, or, for a judicial requisition, export it once approved by the holder's
designee (an approved requisition is the question; who approves is checked apart).
The engine's verdict is what the gateway would do; the model's gives the reason in
words and must agree with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vigie.model import Inventory

from .competence import decide, requisition_approver
from .differential import events_for
from .events import Event, Request, Verdict
from .policy import AccessPolicy


@dataclass(frozen=True, slots=True)
class Answer:
    event: Event
    agency: str
    action: str
    verdict: Verdict  # the engine's: what the gateway decides
    model: Verdict  # the model's, the same decision with its reason in words

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def agree(self) -> bool:
        return (self.verdict.allowed, self.verdict.rule) == (self.model.allowed, self.model.rule)


def representative_request(inv: Inventory, agency: str, camera: str, event: Event) -> Request:
    """The question asked for a whole agency at `camera` on `event` (as the engine's
    `AccessPolicy.competent` asks it)."""
    site = inv.sites[camera.split("/", 1)[0]]
    action = "export" if event.way == "requisition" else "view_clip"
    return Request(
        AccessPolicy.representative(agency),
        action,
        camera,
        event,
        approved_by=requisition_approver(inv, site),
    )


def answers(
    inv: Inventory, policy: AccessPolicy, camera: str, only: list[str] | None = None
) -> Iterator[Answer]:
    """Every agency's answer for every event column of `camera` (`only`: those columns)."""
    for event in events_for(inv, camera):
        if only is not None and event.name not in only:
            continue
        for got in policy.competent(camera, event):
            req = representative_request(inv, got.agency, camera, event)
            model = decide(inv, req, representative=True)
            yield Answer(event, got.agency, req.action, got.verdict, model)
