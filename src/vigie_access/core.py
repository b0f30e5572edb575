"""The access service's decisions: events -> grants -> notifications, tokens, and
the check nginx asks for on every playlist and segment request. Every decision
is journaled (the Merkle journal) with the rule that took it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from vigie.access_policy.tokens import Grant as TokenGrant
from vigie.access_policy.tokens import TokenAuthority, TokenError
from vigie.central import (
    EVENT_JOIN_S,
    EVENT_MAX_AGE_S,
    EVENT_MAX_AHEAD_S,
    FLOOD_ALERT_EVERY_S,
    GRANT_CAP_PERIOD_S,
    GRANT_CAP_TELL_EVERY_S,
    GRANT_CAP_VIEWING_S,
    notification_topic,
)
from vigie_access import delivery, live, segments, snapshots
from vigie_access.identity import Identity
from vigie_access.ports import Journal, Policy, Source
from vigie_access.store import Grant, Store, iso, parse

EVENT_CLASSES = {"intrusion", "tamper", "fire"}
OUTCOMES = {"false_alarm", "confirmed"}
DENIALS = {"refused", "no_competent_agency"}
PAYLOAD_KEPT = 256  # bytes of a rejected message kept in the journal, escaped
FIELD_MAX = 128  # characters of a string field (class, kind, time) an event may carry
HANDLED_KEPT = 100_000  # event ids remembered as handled by this process


@dataclass(frozen=True)
class Rejection:
    """A message that opens nothing: journaled as `event_rejected`, counted, and
    acknowledged once that entry is on disk."""

    reason: str  # not-json | not-object | too-large | bad-field | bad-time | time-skew | ...
    detail: str
    topic: str
    publisher: str  # who the broker's ACL lets write the topic, as far as the service knows
    payload: str  # the first PAYLOAD_KEPT bytes, escaped (printable ASCII only)
    size: int  # the payload's size in bytes


def escape(payload: bytes) -> str:
    """Printable ASCII kept, every other byte (and the backslash) as \\xNN."""
    return "".join(
        chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in payload[:PAYLOAD_KEPT]
    )


def event_problem(doc: dict, now: dt.datetime) -> tuple[str, str] | None:
    """(reason, detail) when an event document cannot be acted on, else None: its
    fields' types, its `time` (ISO 8601 with an offset) and the time's skew from
    `now` (vigie.central.EVENT_MAX_AHEAD_S / EVENT_MAX_AGE_S)."""
    for field in ("site", "camera", "class", "kind"):
        value = doc.get(field)
        if field == "kind" and value is None:
            continue
        if not isinstance(value, str) or not value or len(value) > FIELD_MAX:
            return "bad-field", f"`{field}` is not a string of 1 to {FIELD_MAX} characters"
    stamp = doc.get("time")
    if not isinstance(stamp, str) or len(stamp) > FIELD_MAX:
        return "bad-time", "`time` is not an ISO 8601 string"
    try:
        when = dt.datetime.fromisoformat(stamp)
        if when.tzinfo is None or when.utcoffset() is None:
            return "bad-time", "`time` has no UTC offset"
        when = when.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return "bad-time", "`time` is not an ISO 8601 date and time"
    ahead = (when - now).total_seconds()
    if ahead > EVENT_MAX_AHEAD_S:
        return "time-skew", f"`time` {ahead:.0f} s ahead of the service's clock"
    if -ahead > EVENT_MAX_AGE_S:
        return "time-skew", f"`time` {-ahead:.0f} s behind the service's clock"
    return None


@dataclass(frozen=True)
class Decision:
    allow: bool
    rule: str
    reason: str
    grant: Grant | None = None
    upstream: str | None = None  # recorder base URL for a segment
    path: str | None = None  # the recorder's path, when nginx is not to derive it

    @property
    def status(self) -> int:
        return 200 if self.allow else 403


def event_id_of(doc: dict) -> str:
    """Stable id of an event: a redelivered message maps to the same grants."""
    key = json.dumps({k: doc.get(k) for k in ("site", "camera", "class", "kind", "time")})
    return hashlib.sha256(key.encode()).hexdigest()[:20]


class AccessCore:
    def __init__(
        self,
        store: Store,
        policy: Policy,
        tokens: TokenAuthority,
        journal: Journal,
        sources: dict[str, Source],
        publish: Callable[[str, dict], None],
        segment_seconds: float,
        recorder_url: Callable[[Source], str],
        snapshot_url: Callable[[str, str], str | None] = lambda _site, _camera: None,
        live_path: str = "",
    ):
        self.store, self.policy, self.tokens, self.journal = store, policy, tokens, journal
        self.sources = sources
        self.by_camera = {(s.site, s.camera): s for s in sources.values()}
        self.publish = publish
        self.segment_seconds = segment_seconds
        self.recorder_url = recorder_url
        self.snapshot_url = snapshot_url
        self.live_path = live_path
        self.sessions = delivery.Sessions()
        self._revoked: set[str] = set()  # grants whose live view a supervisor closed
        # (site, camera, class, kind, origin, agency) -> (its last grant, the last
        # event's arrival, that event's time): what a repeat may join
        self._open: dict[tuple, tuple[str, dt.datetime, dt.datetime]] = {}
        # agency -> the cameras the policy makes it competent for (the model is fixed
        # for the service's life)
        self._competent_cameras: dict[str, set[str]] = {}
        # what the supervision was last told, and when: (kind, subject) -> time
        self._told: dict[tuple[str, str], dt.datetime] = {}
        # events handled by this process (insertion order: the oldest forgotten first):
        # their entries are queued and their notifications handed to the broker
        self._handled: dict[str, None] = {}

    # -- journal -----------------------------------------------------------------
    def log(self, action: str, result: str, rule: str, now: dt.datetime, **fields) -> None:
        """One journal entry in the vocabulary: decision allow/deny, the actor,
        the camera as SITE/CAMERA, the rule; `time` is added by the journal."""
        del now  # the journal stamps its own clock
        actor = {k: fields.pop(k) for k in ("agency", "operator") if fields.get(k)}
        camera = fields.pop("camera", None)
        if camera in self.sources:
            camera = f"{self.sources[camera].site}/{self.sources[camera].camera}"
        entry = {
            "action": action,
            "decision": "deny" if result in DENIALS else "allow",
            "result": result,
            "rule": rule,
        }
        if actor:
            entry["actor"] = actor
        if camera:
            entry["camera"] = camera
        entry.update({k: v for k, v in fields.items() if v is not None})
        self.journal.append(entry)

    # -- events ------------------------------------------------------------------
    def reject(self, r: Rejection, now: dt.datetime) -> None:
        """A message that opens nothing, journaled with why, where and from whom."""
        self.log(
            "event_rejected",
            "refused",
            "ACCESS-EVENT-REJECTED",
            now,
            reason=r.reason,
            detail=r.detail,
            topic=r.topic[:PAYLOAD_KEPT],
            publisher=r.publisher[:PAYLOAD_KEPT],
            payload=r.payload,
            size=r.size,
        )
        if r.reason == "rate-limit":  # a flood: the detector is broken or compromised
            self.tell_supervision(
                "flood",
                r.publisher,
                now,
                FLOOD_ALERT_EVERY_S,
                publisher=r.publisher,
                topic=r.topic,
                reason=r.detail,
            )

    def tell_supervision(
        self, kind: str, subject: str, now: dt.datetime, every_s: float, **doc
    ) -> None:
        """An anomaly of the platform itself (a flood, a grant cap reached), told to the
        département's supervision on its own topic, once per subject every `every_s`."""
        last = self._told.get((kind, subject))
        if last is not None and (now - last).total_seconds() < every_s:
            return
        self._told[(kind, subject)] = now
        for agency in self.policy.supervision_agencies():
            try:
                self.publish(notification_topic(agency), {"alert": kind, "time": iso(now), **doc})
            except Exception:  # the broker is down: the journal entry is the trace
                continue

    def on_event(self, doc: dict | Rejection, origin: str, now: dt.datetime) -> list[Grant]:
        """A detector's event or a building's alarm: grants for the competent agencies.
        A `Rejection` (the bus could not read the message) is journaled, nothing more;
        an event that fails `event_problem` is rejected the same way."""
        if isinstance(doc, Rejection):
            self.reject(doc, now)
            return []
        problem = (
            event_problem(doc, now) if isinstance(doc, dict) else ("not-object", "not an object")
        )
        if problem is not None:
            try:
                text = json.dumps(doc, sort_keys=True, default=repr).encode()
            except (ValueError, RecursionError):
                text = b"(not serialisable)"
            self.reject(Rejection(*problem, "", origin, escape(text), len(text)), now)
            return []
        site, camera, cls = doc.get("site"), doc.get("camera"), doc.get("class")
        source = self.by_camera.get((site, camera))
        if source is None or cls not in EVENT_CLASSES:
            self.log(
                "event",
                "refused",
                "ACCESS-EVENT-UNKNOWN",
                now,
                origin=origin,
                camera=f"{site}/{camera}",
                reason=f"unknown camera or class {cls!r}",
            )
            return []
        event_time = parse(doc["time"])
        event_id = event_id_of(doc)
        # Delivered again (not acknowledged before a crash): the grants missing are
        # made and notified. Those already stored are journaled and notified again,
        # marked `redelivered`, when an earlier run stored them: its entries and
        # notifications may have died with it (the message was not acknowledged).
        fresh = self.store.add_event(event_id, origin, doc, now)
        again = not fresh and event_id not in self._handled
        terms = self.policy.terms(site)
        grants = []
        for c in self.policy.competent(site, camera, cls, origin):
            key = (site, camera, cls, doc.get("kind"), origin, c.agency)
            joined = self.store.joined(event_id, c.agency)
            if joined is not None and again:
                self._log_join(joined, event_id, c.rule, now, redelivered=True)
            joined = joined or self._join(key, event_id, event_time, terms, c.rule, now)
            if joined is not None:
                grants.append(joined)
                continue
            if self._capped(site, camera, cls, c, source.key, event_id, terms, now):
                continue
            g, created = self.store.add_grant_once(
                event_id=event_id,
                agency=c.agency,
                site=site,
                camera=camera,
                source=source.key,
                cls=cls,
                origin=origin,
                rule=c.rule,
                event_time=event_time,
                window_start=event_time - terms.before,
                window_end=event_time + terms.after,
                live_until=event_time + terms.live,
                live=True,
                created=now,
            )
            grants.append(g)
            self._open[key] = (g.id, now, event_time)
            if not created and not again:
                continue
            self.log(
                "grant_created",
                "created",
                c.rule,
                now,
                agency=c.agency,
                camera=source.key,
                event=event_id,
                window=[iso(g.window_start), iso(g.window_end)],
                redelivered=None if created else True,
            )
            self.notify(g, doc, now, redelivered=None if created else True)
        if not grants:
            self.log(
                "event",
                "no_competent_agency",
                "ACCESS-DEFAULT-DENY",
                now,
                camera=source.key,
                event=event_id,
            )
        self._handled[event_id] = None
        if len(self._handled) > HANDLED_KEPT:
            del self._handled[next(iter(self._handled))]
        return grants

    def _capped(self, site, camera, cls, c, source, event_id, terms, now) -> bool:
        """True when this grant would take the agency past GRANT_CAP_VIEWING_S of windows
        on the camera for the class over the last GRANT_CAP_PERIOD_S: journaled, the
        supervision told, no grant (an event delivered again keeps its grant)."""
        if self.store.has_grant(event_id, c.agency):
            return False
        since = now - dt.timedelta(seconds=GRANT_CAP_PERIOD_S)
        used = self.store.viewing_since(source, c.agency, cls, since)
        wanted = (terms.before + terms.after).total_seconds()
        if used + wanted <= GRANT_CAP_VIEWING_S:
            return False
        self.log(
            "grant_capped",
            "refused",
            "ACCESS-GRANT-CAP",
            now,
            agency=c.agency,
            camera=source,
            event=event_id,
            reason=f"{int(used)} s of windows granted over the last {GRANT_CAP_PERIOD_S} s",
        )
        self.tell_supervision(
            "grant_cap",
            f"{site}/{camera}/{cls}/{c.agency}",
            now,
            GRANT_CAP_TELL_EVERY_S,
            camera=f"{site}/{camera}",
            agency=c.agency,
            event_class=cls,
            viewing_s=int(used),
        )
        return True

    def _join(self, key, event_id, event_time, terms, rule, now) -> Grant | None:
        """The agency's open grant this event joins, extended to cover it (never past
        the first event's live view and window plus the one extension the policy
        allows): a detector repeating the same camera, class and kind, dated and
        arriving within EVENT_JOIN_S of its last event, opens no second grant and no
        second notification."""
        if len(self._open) > 4096:  # forget what can no longer be joined
            self._open = {
                k: v for k, v in self._open.items() if (now - v[1]).total_seconds() <= EVENT_JOIN_S
            }
        last = self._open.get(key)
        g = self.store.grant(last[0]) if last else None
        if (
            g is None
            or g.event_id == event_id
            or (now - last[1]).total_seconds() > EVENT_JOIN_S
            or abs((event_time - last[2]).total_seconds()) > EVENT_JOIN_S
            or now >= g.live_until
            or not g.window_start <= event_time <= g.window_end
        ):
            return None
        window_end = min(
            max(g.window_end, event_time + terms.after),
            g.event_time + terms.after + terms.extension,
        )
        live_until = min(
            max(g.live_until, event_time + terms.live),
            g.event_time + terms.live + terms.extension,
        )
        g = self.store.join(g.id, event_id, window_end, live_until, now)
        self._open[key] = (g.id, now, event_time)
        self._log_join(g, event_id, rule, now)
        return g

    def _log_join(self, g: Grant, event_id: str, rule: str, now, redelivered=None) -> None:
        self.log(
            "event_joined",
            "joined",
            rule,
            now,
            agency=g.agency,
            camera=g.source,
            event=event_id,
            grant=g.id,
            window=[iso(g.window_start), iso(g.window_end)],
            redelivered=redelivered,
        )

    def notify(self, g: Grant, doc: dict, now: dt.datetime, redelivered=None) -> None:
        note = {
            "grant": g.id,
            "event": g.event_id,
            "site": g.site,
            "camera": g.camera,
            "class": g.cls,
            "kind": doc.get("kind"),
            "time": iso(g.event_time),
            "window": [iso(g.window_start), iso(g.window_end)],
            "live_until": iso(g.live_until),
            "url": f"/operateur/#{g.id}",
        }
        self.publish(notification_topic(g.agency), note)
        self.log(
            "notification_sent",
            "sent",
            g.rule,
            now,
            agency=g.agency,
            camera=g.source,
            event=g.event_id,
            redelivered=redelivered,
        )

    # -- tokens ------------------------------------------------------------------
    def issue_token(self, who: Identity, grant_id: str, now: dt.datetime) -> tuple[Decision, str]:
        g = self.store.grant(grant_id)
        d = self._may_view(who, g, now)
        if g is not None and g.agency == who.agency and d.rule != "ACCESS-UNKNOWN":
            d = self._policy(who, "view_live" if g.live else "view_clip", g) if d.allow else d
        token = ""
        if d.allow:
            # A segment that starts up to one segment before the window overlaps it.
            start = g.window_start - dt.timedelta(seconds=self.segment_seconds)
            tg = TokenGrant(
                g.id,
                g.agency,
                (f"{g.site}/{g.camera}",),
                int(start.timestamp()),
                int(g.window_end.timestamp()),
                # Rounded up: the grant's own end (`live_open`) decides to the millisecond;
                # truncated, the token would end the live view up to 1 s early.
                math.ceil(g.live_until.timestamp()),
            )
            token = self.tokens.issue(who.name, who.thumbprint, tg)
        self.log(
            "token_issued" if d.allow else "token_refused",
            "issued" if d.allow else "refused",
            d.rule,
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            reason=d.reason,
        )
        return d, token

    def _may_view(self, who: Identity, g: Grant | None, now: dt.datetime) -> Decision:
        """Cheap checks of every request: the operator, the grant, its time box."""
        if self.policy.is_admin(who.agency):
            return Decision(False, "ACCESS-ADMIN-NEVER", f"{who.agency} administers the platform")
        if not self.policy.knows_operator(who.name):
            return Decision(False, "ACCESS-UNKNOWN", f"unknown operator {who.name}")
        if g is None:
            return Decision(False, "ACCESS-GRANT-UNKNOWN", "no such grant")
        if g.agency != who.agency:
            return Decision(False, "ACCESS-GRANT-AGENCY", "grant belongs to another agency", g)
        if now >= g.live_until:
            return Decision(False, "ACCESS-GRANT-EXPIRED", "the grant has expired", g)
        return Decision(True, g.rule, "grant open", g)

    def _policy(self, who: Identity, action: str, g: Grant, **kw) -> Decision:
        """The policy engine's verdict for this operator on the grant's event."""
        v = self.policy.authorize(who.name, action, g.site, g.camera, g.cls, g.origin, **kw)
        return Decision(v.allowed, v.rule, v.reason, g)

    # -- the live window: the one decision the playlist, the page and /live/ share ------
    def live_ended(self, g: Grant, now: dt.datetime) -> bool:
        """The grant's live view is over: its time box, an extension included, or a
        supervisor's revocation (which moves `live_until` to the moment of revoking)."""
        return now >= min(g.window_end, g.live_until)

    def live_open(self, g: Grant, now: dt.datetime) -> Decision:
        if not g.live:
            return Decision(False, "ACCESS-WAY-REQUISITION", "a requisition is never viewed", g)
        if now < g.event_time:
            return Decision(False, "ACCESS-LIVE-NOT-YET", "the live view starts at the event", g)
        if self.live_ended(g, now):
            return Decision(False, "ACCESS-TOKEN-LIVE-ENDED", "the live window has ended", g)
        return Decision(True, g.rule, "live window open", g)

    def revoke(self, who: Identity, grant_id: str, reason: str, now: dt.datetime) -> Decision:
        """A supervisor of the grant's agency closes its view now (the recorded window
        stays for an export): every live and clip request is refused from the next one
        on, as at the grant's end."""
        g = self.store.grant(grant_id)
        d = self._may_view(who, g, now)
        if d.allow and not self.policy.roles(who.name).get("supervisor"):
            d = Decision(False, "ACCESS-REVOKE", "only a supervisor of the agency revokes", g)
        if d.allow and not reason.strip():
            d = Decision(False, "ACCESS-REVOKE", "a written reason is required", g)
        if d.allow:
            self._revoked.add(g.id)
            d = Decision(True, "ACCESS-REVOKE", "view revoked", self.store.revoke(g.id, now))
        self.log(
            "grant_revoked" if d.allow else "revoke_refused",
            "revoked" if d.allow else "refused",
            d.rule,
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            grant=g.id if g else None,
            reason=(reason if d.allow else d.reason)[:500],
        )
        return d

    def why_closed(self, s: delivery.Session, now: dt.datetime) -> str | None:
        """Why a session's grant no longer allows its way of viewing (None while it
        does): `revoked`, or `grant-ended` (the live window for a live session, the
        grant's time box for a replay)."""
        g = self.store.grant(s.grant)
        if g is None or s.grant in self._revoked:
            return "revoked"
        over = self.live_ended(g, now) if s.way == "live" else now >= g.live_until
        return "grant-ended" if over else None

    def end_sessions(self, now: dt.datetime, idle_s: float) -> int:
        """Journal `<way>_session_ended` for every session whose grant closed or that
        went idle, with what nginx delivered. A session whose entry the journal
        cannot take (JournalUnavailable) stays open and is tried again."""
        ended = 0
        for s, reason in self.sessions.due(now, lambda s: self.why_closed(s, now), idle_s):
            self.log(
                f"{s.way}_session_ended",
                "ended",
                "ACCESS-VIEW-SESSION",
                now,
                agency=s.agency,
                operator=s.operator,
                camera=s.camera,
                reason=reason,
                **s.account(),
            )
            self.sessions.close(s)
            ended += 1
        return ended

    def _live(self, who: Identity, token: str, g: Grant, name: str, now: dt.datetime):
        """`/live/<grant>/<name>`: the token as for the clip's playlist (this grant, this
        certificate, this camera, live not over), the live window open, the policy's
        `view_live`; the answer names the recorder and its live path."""
        if not live.valid_name(name):
            return Decision(False, "ACCESS-PATH", "not the live playlist or a live segment", g)
        try:
            claims = self.tokens.check(
                token, who.thumbprint, f"{g.site}/{g.camera}", start=now.timestamp(), live=True
            )
        except TokenError as exc:
            return Decision(False, f"ACCESS-TOKEN-{exc.code.upper()}", str(exc), g)
        if claims.grant != g.id:
            return Decision(False, "ACCESS-TOKEN-GRANT", "token issued for another grant", g)
        d = self.live_open(g, now)
        if d.allow:
            d = self._policy(who, "view_live", g)
        if not d.allow:
            return d
        src = self.sources[g.source]
        path = f"{self.live_path}/{g.source}/{name}"
        return Decision(True, d.rule, "live", g, self.recorder_url(src), path)

    # -- every playlist and segment ------------------------------------------------
    def authorize(
        self,
        who: Identity | None,
        token: str | None,
        uri: str,
        now: dt.datetime,
        stranger: str | None = None,
    ):
        """Decide and journal one viewing request; `stranger` says why there is no
        operator (`who` None): no certificate, or one of another kind."""
        d = self._authorize(who, token, uri, now, stranger)
        g = d.grant
        path = uri.split("?", 1)[0]
        kind = (
            "playlist"
            if path.endswith(".m3u8")
            else "snapshot"
            if f"/{snapshots.PREFIX}" in path
            else "segment"
        )
        if path.startswith("/live/"):
            kind = f"live_{kind}"
        self.log(
            f"{kind}_{'allowed' if d.allow else 'refused'}",
            "allowed" if d.allow else "refused",
            d.rule,
            now,
            agency=who.agency if who else None,
            operator=who.name if who else None,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            path=uri[:300],
            reason=d.reason,
        )
        if d.allow:
            way = "live" if kind.startswith("live_") else "replay"
            # The session's start is journaled before it is counted: an entry the
            # journal refused is tried again with the next request.
            if not self.sessions.is_open(way, g.id, who.name):
                self.log(
                    f"{way}_session_started",
                    "started",
                    d.rule,
                    now,
                    agency=who.agency,
                    operator=who.name,
                    camera=g.source,
                    event=g.event_id,
                    grant=g.id,
                )
            self.sessions.touch(way, g.id, who.agency, who.name, g.source, now)
        return d

    def _authorize(self, who, token, uri, now, stranger=None):
        if ".." in uri or "%" in uri or "//" in uri or "\\" in uri:
            return Decision(False, "ACCESS-PATH", "path with `..` or escapes")
        if who is None:
            return Decision(False, "ACCESS-CERT", stranger or "no verified client certificate")
        if not token:
            return Decision(False, "ACCESS-TOKEN-MISSING", "no token")
        parts = uri.split("?", 1)[0].split("/", 3)  # '', 'hls' | 'live', grant, rest
        if len(parts) != 4 or parts[1] not in ("hls", "live"):
            return Decision(False, "ACCESS-PATH", "not a playlist or a segment")
        g = self.store.grant(parts[2])
        d = self._may_view(who, g, now)
        if not d.allow:
            return d
        if parts[1] == "live":
            return self._live(who, token, g, parts[3], now)
        if parts[3].startswith(snapshots.PREFIX):
            return self._snapshot(who, token, g, parts[3].removeprefix(snapshots.PREFIX), now)
        if parts[3] == "index.m3u8":
            camera, start = f"{g.site}/{g.camera}", now.timestamp()
            end = start
        else:
            seg = segments.parse_segment_path(parts[3])
            if seg is None:
                return Decision(False, "ACCESS-PATH", "not a segment of the recorder", g)
            src = self.sources.get(seg.source)
            camera = f"{src.site}/{src.camera}" if src else seg.source
            start = end = seg.start.timestamp()
        try:
            claims = self.tokens.check(
                token, who.thumbprint, camera, start=start, end=end, live=parts[3] == "index.m3u8"
            )
        except TokenError as exc:
            return Decision(False, f"ACCESS-TOKEN-{exc.code.upper()}", str(exc), g)
        if claims.grant != g.id:
            return Decision(False, "ACCESS-TOKEN-GRANT", "token issued for another grant", g)
        if parts[3] == "index.m3u8":
            return Decision(True, g.rule, "playlist", g)
        return Decision(True, g.rule, "segment in window", g, self.recorder_url(src))

    # -- the event's still image -----------------------------------------------------
    def snapshot_name(self, g: Grant) -> str | None:
        """The detector's snapshot of the grant's event, if it names a valid one."""
        doc = self.store.event(g.event_id) or {}
        name = doc.get("snapshot")
        return name if snapshots.valid_name(name, g.site, g.camera) else None

    def snapshot_in_window(self, g: Grant) -> bool:
        """The still image is footage like any other: its time (in its name) must lie
        inside the grant's window, whatever event names it."""
        when = snapshots.taken_at(self.snapshot_name(g) or "")
        return when is not None and g.window_start <= when <= g.window_end

    def may_see_snapshot(self, who: Identity, g: Grant, now: dt.datetime) -> Decision:
        """The policy decides: a still image is footage of the event's window, so it
        needs what the clip needs (grant of this agency, open, `view_clip`)."""
        d = self._may_view(who, g, now)
        if d.allow and not g.live:  # a requisition: export only, never a view
            d = Decision(False, "ACCESS-WAY-REQUISITION", "a requisition is never viewed", g)
        if d.allow and self.snapshot_name(g) is None:
            d = Decision(False, "ACCESS-SNAPSHOT", "the event has no snapshot", g)
        if d.allow and not self.snapshot_in_window(g):
            d = Decision(
                False, "ACCESS-SNAPSHOT-WINDOW", "the snapshot was taken outside the window", g
            )
        if d.allow and self.snapshot_url(g.site, g.camera) is None:
            d = Decision(False, "ACCESS-SNAPSHOT", "no detector host keeps this camera's", g)
        return self._policy(who, "view_clip", g) if d.allow else d

    def _snapshot(self, who: Identity, token: str, g: Grant, name: str, now: dt.datetime):
        if name != self.snapshot_name(g):
            return Decision(False, "ACCESS-SNAPSHOT", "not this event's snapshot", g)
        try:
            claims = self.tokens.check(
                token,
                who.thumbprint,
                f"{g.site}/{g.camera}",
                start=g.event_time.timestamp(),
                end=g.event_time.timestamp(),
            )
        except TokenError as exc:
            return Decision(False, f"ACCESS-TOKEN-{exc.code.upper()}", str(exc), g)
        if claims.grant != g.id:
            return Decision(False, "ACCESS-TOKEN-GRANT", "token issued for another grant", g)
        d = self.may_see_snapshot(who, g, now)
        if not d.allow:
            return d
        return Decision(
            True, d.rule, "the event's snapshot", g, self.snapshot_url(g.site, g.camera)
        )

    # -- reads of the operator's API ---------------------------------------------------
    def may_read_window(self, who: Identity, grant_id: str, now: dt.datetime) -> Decision:
        """A window (its segments, what is missing, whether it is live) is read as the
        footage is viewed: this agency's grant, still open, and the policy's
        `view_live` / `view_clip` for this operator. An expired grant's window is
        refused (its footage can only be exported)."""
        g = self.store.grant(grant_id)
        d = self._may_view(who, g, now)
        if d.allow:
            d = self._policy(who, "view_live" if g.live else "view_clip", g)
        return d

    def may_read(self, who: Identity, what: str) -> Decision:
        """The operator's page's other reads (`events`, `me`, `requisitions`, `rates`):
        a person of an agency the model knows, never a platform administrator; the
        false-alarm rates to operators (the département's supervision among them)
        only, never to an alarm source's or a detector's certificate. The requisitions
        awaiting approval are also read by a site's designee whom no agency lists."""
        if self.policy.is_admin(who.agency):
            return Decision(False, "ACCESS-ADMIN-NEVER", f"{who.agency} administers the platform")
        designee = what == "requisitions" and self.policy.roles(who.name).get("designee_of")
        if not (self.policy.knows_operator(who.name) or designee):
            return Decision(False, "ACCESS-UNKNOWN", f"unknown operator {who.name}")
        return Decision(True, f"ACCESS-READ-{what.upper()}", f"{what} read")

    def log_read(self, who: Identity, what: str, d: Decision, now: dt.datetime, **fields):
        """One journal entry per read: `<what>_read` or `<what>_refused`, who read,
        and what was read (grants, camera, event, counts)."""
        g = d.grant
        self.log(
            f"{what}_{'read' if d.allow else 'refused'}",
            "read" if d.allow else "refused",
            d.rule,
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            grant=g.id if g else None,
            reason=None if d.allow else d.reason,
            **fields,
        )

    def cameras_for(self, who: Identity) -> list[dict]:
        """The cameras offered to this operator's forms: those the policy makes his
        agency competent for (a detector's event of any class; a requisition, for a
        judicial police agency), and those of his agency's grants. Never the whole
        département."""
        mine = self._competent_cameras.get(who.agency)
        if mine is None:
            ways = [(cls, "detector") for cls in sorted(EVENT_CLASSES)]
            if self.policy.roles(who.name).get("judicial"):
                ways.append(("requisition", "requisition"))
            mine = set()
            for cam in self.policy.cameras():
                site, _, camera = cam["camera"].partition("/")
                if any(
                    c.agency == who.agency
                    for cls, origin in ways
                    for c in self.policy.competent(site, camera, cls, origin)
                ):
                    mine.add(cam["camera"])
            self._competent_cameras[who.agency] = mine
        granted = {f"{g.site}/{g.camera}" for g in self.store.grants(who.agency)}
        return [c for c in self.policy.cameras() if c["camera"] in mine | granted]

    # -- extension, outcome, export --------------------------------------------------
    def extend(self, who: Identity, grant_id: str, reason: str, now: dt.datetime) -> Decision:
        g = self.store.grant(grant_id)
        d = self._may_view(who, g, now)
        if d.allow:
            d = self._policy(who, "extend", g, reason=reason)
        if d.allow:
            terms = self.policy.terms(g.site)
            extended = self.store.extend(
                g.id,
                g.live_until + terms.extension,
                g.window_end + terms.extension,
                who.name,
                reason,
            )
            if extended is None:
                d = Decision(False, "ACCESS-EXTENSION-ONCE", "already extended once", g)
            else:
                d = Decision(True, "ACCESS-EXTENSION", "extended once", extended)
        self.log(
            "extension",
            "granted" if d.allow else "refused",
            d.rule,
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            reason=reason[:500],
        )
        return d

    def outcome(
        self, who: Identity, grant_id: str, outcome: str, service: str | None, now: dt.datetime
    ) -> Decision:
        g = self.store.grant(grant_id)
        if g is None or g.agency != who.agency:
            d = Decision(False, "ACCESS-GRANT-AGENCY", "not this agency's event", g)
        elif outcome not in OUTCOMES:
            d = Decision(False, "ACCESS-OUTCOME", f"outcome is one of {sorted(OUTCOMES)}", g)
        else:
            self.store.set_outcome(g.id, who.name, outcome, service, now)
            d = Decision(True, "ACCESS-OUTCOME", outcome, g)
        self.log(
            "outcome",
            outcome if d.allow else "refused",
            d.rule,
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            reason=service,
        )
        return d

    def false_alarm_rates(self) -> list[dict]:
        """Per camera and class: levées de doute, false alarms, rate."""
        table: dict[tuple[str, str], list[int]] = {}
        for o in self.store.outcomes():
            row = table.setdefault((f"{o['site']}/{o['camera']}", o["cls"]), [0, 0])
            row[0] += 1
            row[1] += o["outcome"] == "false_alarm"
        return [
            {"camera": cam, "class": cls, "outcomes": n, "false_alarms": f, "rate": f / n}
            for (cam, cls), (n, f) in sorted(table.items())
        ]
