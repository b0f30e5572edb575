"""The two other ways to footage besides an event (the policy decides both):

- **break-glass**: a supervisor, with a written reason, opens a camera for the
  site's `break_glass_min`; the DPO is alerted (`vigie/dpo/alerts`) and the grant
  is flagged for review in the journal;
- **judicial requisition**: an officer of a judicial police agency records it
  (procedure reference, camera, time window); once approved by the holder's
  designee it yields an export of recorded footage only, never a view. Four eyes:
  the designee never approves a requisition he recorded, and one requisition
  yields one export, however many times it is approved.
"""

from __future__ import annotations

import datetime as dt
import uuid

from vigie.central import DPO_ALERTS
from vigie_access.core import AccessCore, Decision
from vigie_access.identity import Identity
from vigie_access.store import iso

MAX_REQUISITION = dt.timedelta(days=1)
DONE = "ACCESS-EXPORT-DONE"
SELF_APPROVAL = "ACCESS-REQUISITION-FOUR-EYES"
# Requisitions whose export is being written: a second approval arriving meanwhile
# (the write awaits the recorder) is refused, not turned into a second export.
_writing: set[str] = set()


def _camera(core: AccessCore, camera: str):
    site, _, cam = camera.partition("/")
    return core.by_camera.get((site, cam))


def break_glass(
    core: AccessCore, who: Identity, camera: str, cls: str, reason: str, now: dt.datetime
) -> Decision:
    src = _camera(core, camera)
    if src is None:
        d = Decision(False, "ACCESS-UNKNOWN", f"unknown camera {camera!r}")
    else:
        v = core.policy.authorize(
            who.name, "break_glass", src.site, src.camera, cls, "detector", reason=reason
        )
        d = Decision(v.allowed, v.rule, v.reason)
    g = None
    if d.allow:
        terms = core.policy.terms(src.site)
        g = core.store.add_grant(
            event_id=f"bg-{uuid.uuid4().hex[:12]}",
            agency=who.agency,
            site=src.site,
            camera=src.camera,
            source=src.key,
            cls=cls,
            origin="break_glass",
            rule=d.rule,
            event_time=now,
            window_start=now - terms.before,
            window_end=now + terms.break_glass,
            live_until=now + terms.break_glass,
            live=True,
            created=now,
            break_glass=reason,
        )
        core.publish(
            DPO_ALERTS,
            {
                "break_glass": g.id,
                "operator": who.name,
                "camera": camera,
                "reason": reason,
                "until": iso(g.live_until),
            },
        )
        d = Decision(True, d.rule, "break-glass granted, DPO alerted", g)
    core.log(
        "break_glass",
        "granted" if d.allow else "refused",
        d.rule,
        now,
        agency=who.agency,
        operator=who.name,
        camera=src.key if src else camera,
        event=g.event_id if g else None,
        reason=reason[:500],
        review=True if d.allow else None,
    )
    return d


def record_requisition(
    core: AccessCore,
    who: Identity,
    camera: str,
    start: dt.datetime,
    end: dt.datetime,
    procedure: str,
    now: dt.datetime,
) -> Decision:
    src = _camera(core, camera)
    if src is None:
        d = Decision(False, "ACCESS-UNKNOWN", f"unknown camera {camera!r}")
    elif not (start < end <= now and end - start <= MAX_REQUISITION) or not procedure.strip():
        d = Decision(
            False, "ACCESS-WAY-REQUISITION", "a past window (1 day at most) and a procedure"
        )
    elif not (v := _approvable(core, who, src)).allowed:
        # Only what the designee could lawfully approve is recorded: an officer of a
        # judicial police agency, a camera whose holder named a designee, and a
        # requester who is not that designee (he would approve his own).
        d = Decision(False, v.rule, v.reason)
    else:
        event_id = f"rq-{uuid.uuid4().hex[:12]}"
        core.store.add_event(
            event_id,
            "requisition",
            {
                "site": src.site,
                "camera": src.camera,
                "class": "requisition",
                "time": iso(start),
                "procedure": procedure,
                "requested_by": who.name,
            },
            now,
        )
        # Never viewable: its live window is already over; export only, once approved.
        g = core.store.add_grant(
            event_id=event_id,
            agency=who.agency,
            site=src.site,
            camera=src.camera,
            source=src.key,
            cls="requisition",
            origin="requisition",
            rule="ACCESS-WAY-REQUISITION",
            event_time=start,
            window_start=start,
            window_end=end,
            live_until=now,
            live=False,
            created=now,
        )
        d = Decision(True, "ACCESS-WAY-REQUISITION", "recorded, awaiting approval", g)
    core.log(
        "requisition",
        "recorded" if d.allow else "refused",
        d.rule,
        now,
        agency=who.agency,
        operator=who.name,
        camera=src.key if src else camera,
        event=d.grant.event_id if d.grant else None,
        reason=procedure[:500],
    )
    return d


def _approvable(core: AccessCore, who: Identity, src):
    """The engine's answer for the approval this requisition would need: `who`
    requesting, the camera's designee approving."""
    return core.policy.authorize(
        who.name,
        "export",
        src.site,
        src.camera,
        "",
        "requisition",
        approved_by=core.policy.requisition_approver(src.site),
    )


async def approve_requisition(
    core: AccessCore, exporter, approver: Identity, grant_id: str, api, now: dt.datetime
) -> dict:
    g = core.store.grant(grant_id)
    doc = core.store.event(g.event_id) if g and g.origin == "requisition" else None
    if doc is None:
        core.log(
            "requisition_approval",
            "refused",
            "ACCESS-UNKNOWN",
            now,
            operator=approver.name,
            event=grant_id,
        )
        return {"refused": "ACCESS-UNKNOWN"}
    # No await between these checks and the export's row (or the `_writing` mark):
    # two approvals of one requisition cannot both get through.
    granted = "ACCESS-REQUISITION-EXPORT"
    exports = core.store.exports_of(g.id)
    done = next((e for e in exports if e["approved_by"]), None)
    if doc["requested_by"] == approver.name:
        rule, why = SELF_APPROVAL, "the officer who recorded the requisition cannot approve it"
    else:
        v = core.policy.authorize(
            doc["requested_by"],
            "export",
            g.site,
            g.camera,
            "",
            "requisition",
            approved_by=approver.name,
        )
        granted, rule, why = v.rule, None, ""
        if not v.allowed:
            rule, why = v.rule, v.reason
        elif done is not None:
            rule, why = DONE, f"already approved by {done['approved_by']}: export {done['id']}"
        elif g.id in _writing:
            rule, why = DONE, "already approved: its export is being written"
    if rule != DONE:
        done = None  # the first export is named to its designee only
    core.log(
        "requisition_approval",
        "refused" if rule else "approved",
        rule or granted,
        now,
        agency=approver.agency,
        operator=approver.name,
        camera=g.source,
        event=g.event_id,
        reason=doc["procedure"][:500],
        detail=why[:500] if rule else None,
        export=done["id"] if done else None,
    )
    if rule:
        return {"refused": rule, "export": done["id"]} if done else {"refused": rule}
    # A previous approval whose write failed left its row unapproved: it is reused.
    pending = next((e["id"] for e in exports if not e["approved_by"]), None)
    export_id = pending or core.store.add_export(g.id, doc["requested_by"], doc["procedure"], now)
    ex = core.store.export(export_id)
    _writing.add(g.id)
    try:
        manifest, digest = await exporter.write(ex, g, approver, api, now)
        if not core.store.approve_export(export_id, approver.name, digest):
            return {"refused": DONE}
    finally:
        _writing.discard(g.id)
    core.log(
        "export",
        "produced",
        granted,
        now,
        agency=g.agency,
        operator=approver.name,
        camera=g.source,
        event=g.event_id,
        export=export_id,
        sha256=digest,
        reason=doc["procedure"][:500],
    )
    return {"export": export_id, "manifest_sha256": digest, "files": len(manifest["files"])}
