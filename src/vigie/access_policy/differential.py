"""The engine against the model: every camera x agency x event class, zero disagreement.

Used by the tests (the pilot, a slice of a generated département) and by
`make bench-access` (the whole generated département). `disagreement` compares
one request of any shape (the tests generate them: any operator, action, way, class,
alarm source, approver, designee and reason), `vocabulary` lists what an inventory
names, for a generator to draw from and to mix with names it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vigie.model import Inventory

from .competence import alarm_sources, decide, people, requisition_approver
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
    from .answers import answers  # it reads this module's events_for

    result = Comparison()
    for camera in cameras:
        for got in answers(inv, policy, camera):
            result.decisions += 1
            result.allowed += got.model.allowed
            if not got.agree:
                result.disagreements.append(
                    f"{camera} {got.event.name} {got.agency}: model {got.model.allowed} "
                    f"{got.model.rule}, engine {got.verdict.allowed} {got.verdict.rule}"
                )
    return result


def all_cameras(inv: Inventory) -> list[str]:
    return [f"{s.id}/{c.id}" for s in inv.sites.values() for c in s.cameras]


def disagreement(inv: Inventory, policy: AccessPolicy, req: Request) -> str:
    """Empty when the engine and the model give `req` the same answer (allowed, and
    the same rule), else both answers in words."""
    want = decide(inv, req)
    got = policy.authorize(req)
    if (want.allowed, want.rule) == (got.allowed, got.rule):
        return ""
    return f"{req}: model {want.allowed} {want.rule}, engine {got.allowed} {got.rule}"


@dataclass(frozen=True)
class Vocabulary:
    """What an inventory names, sorted (a generator samples from these lists).

    `open_doors`: (camera, event, a person of a competent agency) for every cell of
    the matrix the model allows; a generator that starts from one of them and changes
    one thing (the action, the reason, the approver...) reaches the rules a random
    draw almost never reaches (the reason, four eyes, break-glass)."""

    cameras: list[str]
    people: list[str]
    agencies: list[str]
    designees: dict[str, str]  # camera -> the designee of its authorisation
    alarm_sources: list[str]
    open_doors: list[tuple[str, Event, str]]


def vocabulary(inv: Inventory) -> Vocabulary:
    cameras = all_cameras(inv)
    doors = []
    for camera in cameras:
        for event in events_for(inv, camera):
            for agency in inv.agencies.values():
                rep = Request(agency.id + "/agency", "view_clip", camera, event)
                if event.way == "requisition":
                    site = inv.sites[camera.split("/")[0]]
                    rep = Request(
                        rep.operator,
                        "export",
                        camera,
                        event,
                        approved_by=requisition_approver(inv, site),
                    )
                if decide(inv, rep, representative=True).allowed:
                    doors += [(camera, event, p) for p in sorted(people(agency))]
    return Vocabulary(
        cameras=cameras,
        people=sorted(p for a in inv.agencies.values() for p in people(a)),
        agencies=sorted(inv.agencies),
        designees={
            c: requisition_approver(inv, inv.sites[c.split("/")[0]])
            for c in cameras
            if requisition_approver(inv, inv.sites[c.split("/")[0]])
        },
        alarm_sources=sorted({a.identity for s in inv.sites.values() for a in s.alarm_sources}),
        open_doors=doors,
    )
