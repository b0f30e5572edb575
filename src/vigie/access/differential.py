"""The engine against the model: every camera x agency x event class, zero disagreement.

Used by the tests (the pilot, a slice of a generated département) and by
`make bench-access` (the whole generated département).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vigie.model import Inventory

from .competence import alarm_sources, decide, requisition_approver
from .events import EVENT_CLASSES, Event, Request
from .policy import AccessPolicy


@dataclass
class Comparison:
    decisions: int = 0
    allowed: int = 0
    disagreements: list[str] = field(default_factory=list)


def events_for(inv: Inventory, camera: str) -> list[Event]:
    """The matrix's columns for one camera; an alarm event names a covering source if any."""
    site_id, _, cam_id = camera.partition("/")
    site = inv.sites[site_id]
    cam = next(c for c in site.cameras if c.id == cam_id)
    out = []
    for name in EVENT_CLASSES:
        event = Event.parse(name)
        if event.way == "alarm":
            sources = alarm_sources(site, cam, event.event_class)
            event = Event("alarm", event.event_class, sources[0].identity if sources else "")
        out.append(event)
    return out


def compare(inv: Inventory, policy: AccessPolicy, cameras: Iterable[str]) -> Comparison:
    result = Comparison()
    for camera in cameras:
        site = inv.sites[camera.split("/")[0]]
        approver = requisition_approver(inv, site)
        for event in events_for(inv, camera):
            for got in policy.competent(camera, event):
                action = "export" if event.way == "requisition" else "view_clip"
                req = Request(
                    AccessPolicy.representative(got.agency),
                    action,
                    camera,
                    event,
                    approved_by=approver,
                )
                want = decide(inv, req, representative=True)
                result.decisions += 1
                result.allowed += want.allowed
                if (want.allowed, want.rule) != (got.verdict.allowed, got.verdict.rule):
                    result.disagreements.append(
                        f"{camera} {event.name} {got.agency}: model {want.allowed} {want.rule}, "
                        f"engine {got.verdict.allowed} {got.verdict.rule}"
                    )
    return result


def all_cameras(inv: Inventory) -> list[str]:
    return [f"{s.id}/{c.id}" for s in inv.sites.values() for c in s.cameras]
