"""HTTP side of the access service, behind nginx on a Unix socket.

nginx terminates mutual TLS and passes the verified client certificate in
headers; `/_auth` is its `auth_request` target for every `/hls/` and `/live/`
request (docs/levee-de-doute.md, "The live view"); nginx logs what it delivered
to a datagram socket the service reads (`vigie_access.delivery`);
`/playlist/<grant>` builds the window's playlist; `/api/*` is the operator's
page's API; `/operateur/` the page itself.

A viewing decision (playlist, segment, still image) is answered "allow" only once
its journal entry is on disk; while the journal cannot be written every viewing
is refused with 503 (docs/levee-de-doute.md, "When the journal cannot be written").
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
from importlib import resources

import aiohttp
from aiohttp import web

from vigie.central import DPO_ALERTS
from vigie_access import delivery, exceptional, live, segments, snapshots
from vigie_access.core import AccessCore, Decision
from vigie_access.exports import Exporter
from vigie_access.identity import from_headers, refusal
from vigie_access.journal import JournalUnavailable, SharedJournal
from vigie_access.metrics import Metrics
from vigie_access.store import iso, parse

log = logging.getLogger("vigie-access.http")
COOKIE = "vigie_token"
UPSTREAM_HEADER = "X-Vigie-Upstream"
PATH_HEADER = "X-Vigie-Path"  # the recorder's path of a live request
SWEEP_S = 0.25  # how often viewing sessions are checked for their end
JOURNAL_WAIT_S = 2.0  # an allowed view waits this long at most for its entry's fsync
READ_LISTED = 100  # grant ids a read's journal entry lists (the count says how many)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return request.cookies.get(COOKIE)


def _refusal(d: Decision) -> web.Response:
    return web.json_response({"refused": d.reason, "rule": d.rule}, status=d.status)


def _allowed(d: Decision) -> dict | None:
    """What nginx is told to fetch: the upstream the service named and, for live,
    the recorder's path (nginx never builds a recorder path from the client's)."""
    headers = {UPSTREAM_HEADER: d.upstream} if d.upstream else {}
    if d.path:
        headers[PATH_HEADER] = d.path
    return headers or None


def _unavailable() -> web.Response:
    """No footage without its trace: the journal cannot record this view now."""
    return web.Response(status=503, headers={"Retry-After": "1"})


class Api:
    def __init__(
        self,
        core: AccessCore,
        exporter: Exporter,
        metrics: Metrics,
        settle: float,
        delivery_log: str | None = None,
        session_idle_s: float = 10,
    ):
        self.core, self.exporter, self.metrics, self.settle = core, exporter, metrics, settle
        self.delivery_log, self.session_idle_s = delivery_log, session_idle_s
        self.http: aiohttp.ClientSession | None = None
        journal = core.journal
        self.journal = journal if isinstance(journal, SharedJournal) else None
        if self.journal is not None:
            metrics.watch_journal(self.journal)
            self.journal.listen(self._journal_event)
        self._down_since: dt.datetime | None = None

    def _journal_event(self, event: str, reason: str) -> None:
        """The journal stopped (or started again) writing: the DPO is alerted on the
        break-glass path (`vigie/dpo/alerts`); once it writes again, the outage is
        journaled. Called from the journal's writer thread."""
        if event not in ("down", "up"):
            return
        t = now()
        if event == "down":
            self._down_since = t
        doc = {"journal": event, "reason": reason[:500], "time": iso(t)}
        if event == "up" and self._down_since is not None:
            doc["down_since"] = iso(self._down_since)
        try:
            self.core.publish(DPO_ALERTS, doc)
        except Exception:
            log.exception("DPO not alerted that the journal is %s", event)
        if event == "up":
            self.journal.append(
                {
                    "action": "journal_outage",
                    "decision": "deny",
                    "result": "recovered",
                    "rule": "ACCESS-JOURNAL",
                    "reason": f"viewing refused (503) meanwhile: {reason}"[:500],
                    "since": doc.get("down_since"),
                }
            )

    # nginx auth_request: 2xx allows, 401/403 refuse. Everything is journaled by core;
    # an allowed view waits for its entry to be on disk (group commit), else 503.
    async def auth(self, request: web.Request) -> web.Response:
        t0 = time.perf_counter()
        uri = request.headers.get("X-Original-URI", "")
        who, token = from_headers(request.headers), _token(request)
        stranger = None if who else refusal(request.headers)
        journal = self.journal
        if journal is None:
            d = self.core.authorize(who, token, uri, now(), stranger)
            self.metrics.decision(d.allow, time.perf_counter() - t0)
            return web.Response(status=d.status, headers=_allowed(d))
        try:
            with journal.collect() as tickets:
                d = self.core.authorize(who, token, uri, now(), stranger)
        except JournalUnavailable:
            self.metrics.decision(False, time.perf_counter() - t0, journaled=False)
            return _unavailable()
        spent = time.perf_counter() - t0
        if not journal.healthy or (
            d.allow and not (tickets and await journal.wait(tickets, JOURNAL_WAIT_S))
        ):
            if d.allow:
                journal.withhold(tickets)
            self.metrics.decision(d.allow, spent, journaled=False)
            return _unavailable()
        self.metrics.decision(d.allow, spent)
        return web.Response(status=d.status, headers=_allowed(d))

    async def refused(self, request: web.Request) -> web.Response:
        """Anything nginx could not route (a path above the root): journaled, 403."""
        uri = request.headers.get("X-Original-URI", request.path_qs)
        if request.path == "/_refused":  # nginx could not parse it: its request line
            uri = "/../" + request.headers.get("X-Request-Line", "")[:300]
        if request.path == "/_operators_only" and not uri.startswith(("/hls/", "/live/")):
            # nginx: a certificate of another kind on the operators' API or page
            self._who(request, uri)
            return web.Response(status=403)  # an operator's, yet nginx sent it here
        who = from_headers(request.headers)
        stranger = None if who else refusal(request.headers)
        try:
            d = self.core.authorize(who, _token(request), uri, now(), stranger)
        except JournalUnavailable:
            return _unavailable()
        return web.Response(status=403 if d.allow else d.status)

    async def playlist(self, request: web.Request) -> web.Response:
        g = self.core.store.grant(request.match_info["grant"])
        t = now()
        # nginx may reuse an authorisation up to a second old: a grant that ended
        # since gets nothing, not a last playlist (one clock reading decides both).
        if g is None or t >= g.live_until:
            return web.Response(status=403)
        window = await self.window(g, t)
        body = segments.playlist(window, self.core.segment_seconds)
        return web.Response(text=body, content_type="application/vnd.apple.mpegurl")

    async def window(self, g, t: dt.datetime | None = None) -> segments.Window:
        t = t or now()
        source = self.core.sources[g.source]
        base = self.core.recorder_url(source)
        names, missing = [], []
        for day in segments.days(g.window_start, min(g.window_end, t)):
            url = f"{base}/{g.source}/{day}/"
            try:
                async with self.http.get(url, timeout=aiohttp.ClientTimeout(total=3)) as resp:
                    if resp.status == 404:
                        missing.append(f"{source.recorder}: no footage on {day}")
                        continue
                    resp.raise_for_status()
                    listing = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError) as exc:
                missing.append(f"{source.recorder} unreachable ({type(exc).__name__}) for {day}")
                continue
            names += [f"{g.source}/{day}/{e['name']}" for e in listing if e.get("type") == "file"]
        segs = segments.select(
            names,
            g.source,
            g.window_start,
            g.window_end,
            t,
            self.core.segment_seconds,
            self.settle,
        )
        return segments.Window(segs, missing, g.live and not self.core.live_ended(g, t))

    # -- operator API -------------------------------------------------------------
    def _who(self, request: web.Request, path: str | None = None):
        """The operator asking, or 403 with the refusal journaled (`path`: the one
        asked, when nginx handed the request over under another)."""
        who = from_headers(request.headers)
        if who is None:  # a certificate of the CA that is no agency's operator
            with contextlib.suppress(JournalUnavailable):
                self.core.log(
                    "api_refused",
                    "refused",
                    "ACCESS-CERT",
                    now(),
                    path=(path or request.path)[:300],
                    reason=refusal(request.headers),
                )
            raise web.HTTPForbidden(text="client certificate required")
        return who

    def _read(self, who, what: str, d: Decision, **fields) -> web.Response | None:
        """Journal one read (allowed or refused): None when journaled and allowed, the
        refusal (403) or 503 when the journal cannot take the entry. The entry is
        queued before the answer (never dropped), not awaited like a view's."""
        try:
            self.core.log_read(who, what, d, now(), **fields)
        except JournalUnavailable:
            return _unavailable()
        return None if d.allow else _refusal(d)

    async def events(self, request: web.Request) -> web.Response:
        who = self._who(request)
        d = self.core.may_read(who, "events")
        if not d.allow:
            return self._read(who, "events", d)
        t = now()
        out = []
        for g in self.core.store.grants(who.agency):
            item = g.as_dict()
            item["open"] = t < g.live_until
            item["site_info"] = self.core.policy.site_info(g.site, who.agency)
            item["event_doc"] = self.core.store.event(g.event_id)
            # The still image only if the policy lets this operator see the clip.
            if self.core.may_see_snapshot(who, g, t).allow:
                name = self.core.snapshot_name(g)
                item["snapshot"] = f"/hls/{g.id}/{snapshots.PREFIX}{name}"
            if g.origin == "requisition":
                item["exports"] = [e["id"] for e in self.core.store.exports_of(g.id)]
            out.append(item)
        ids = [x["id"] for x in out]
        refused = self._read(who, "events", d, grants=ids[:READ_LISTED], count=len(ids))
        if refused is not None:
            return refused
        return web.json_response({"agency": who.agency, "operator": who.name, "grants": out})

    async def me(self, request: web.Request) -> web.Response:
        """Who the page speaks to and what it may offer (each request is still decided)."""
        who = self._who(request)
        d = self.core.may_read(who, "me")
        if not d.allow:
            return self._read(who, "me", d)
        roles = self.core.policy.roles(who.name)
        cameras = self.core.cameras_for(who)
        refused = self._read(who, "me", d, cameras=len(cameras))
        if refused is not None:
            return refused
        return web.json_response({"operator": who.name, **roles, "cameras": cameras})

    async def requisitions_to_approve(self, request: web.Request) -> web.Response:
        """Requisitions awaiting this person's approval (the sites' designee)."""
        who = self._who(request)
        d = self.core.may_read(who, "requisitions")
        if not d.allow:
            return self._read(who, "requisitions", d)
        out = []
        for g in self.core.store.grants():
            if g.origin != "requisition" or self.core.store.exports_of(g.id):
                continue
            if self.core.policy.requisition_approver(g.site) != who.name:
                continue
            doc = self.core.store.event(g.event_id) or {}
            out.append(
                {
                    "id": g.id,
                    "camera": f"{g.site}/{g.camera}",
                    "start": g.as_dict()["window_start"],
                    "end": g.as_dict()["window_end"],
                    "procedure": doc.get("procedure"),
                    "requested_by": doc.get("requested_by"),
                }
            )
        ids = [x["id"] for x in out]
        refused = self._read(who, "requisitions", d, grants=ids[:READ_LISTED], count=len(ids))
        if refused is not None:
            return refused
        return web.json_response(out)

    async def token(self, request: web.Request) -> web.Response:
        who = self._who(request)
        d, token = self.core.issue_token(who, request.match_info["grant"], now())
        if not d.allow:
            return _refusal(d)
        g = d.grant
        resp = web.json_response(
            {
                "token": token,
                "playlist": f"/hls/{g.id}/index.m3u8",
                "live": f"/live/{g.id}/{live.PLAYLIST}",
                "live_until": iso(min(g.window_end, g.live_until)),
            }
        )
        # Native HLS sends no header: the cookie, for the clip's and the live paths only.
        for path in ("/hls/", "/live/"):
            resp.headers.add(
                "Set-Cookie",
                f"{COOKIE}={token}; Path={path}; Secure; HttpOnly; SameSite=Strict",
            )
        return resp

    async def revoke(self, request: web.Request) -> web.Response:
        who = self._who(request)
        body = await request.json()
        d = self.core.revoke(who, request.match_info["grant"], str(body.get("reason", "")), now())
        return web.json_response(d.grant.as_dict()) if d.allow else _refusal(d)

    # -- viewing sessions: what nginx delivered, and their end ---------------------------
    async def sweep_sessions(self) -> None:
        """End the viewing sessions whose grant closed or that went idle (journaled); a
        journal that cannot take the entry leaves them for the next round."""
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                self.core.end_sessions(now(), self.session_idle_s)
            except JournalUnavailable:
                continue
            except Exception:
                log.exception("viewing sessions not swept")

    async def window_info(self, request: web.Request) -> web.Response:
        """The window of a grant the operator may view now (an expired grant's is
        refused, like its footage), journaled: `window_read` / `window_refused`."""
        who = self._who(request)
        d = self.core.may_read_window(who, request.match_info["grant"], now())
        if not d.allow:
            return self._read(who, "window", d)
        w = await self.window(d.grant)
        refused = self._read(
            who, "window", d, segments=len(w.segments), missing=len(w.missing), live=w.live
        )
        if refused is not None:
            return refused
        return web.json_response(
            {"segments": len(w.segments), "missing": w.missing, "live": w.live}
        )

    async def extend(self, request: web.Request) -> web.Response:
        who = self._who(request)
        body = await request.json()
        d = self.core.extend(who, request.match_info["grant"], str(body.get("reason", "")), now())
        return web.json_response(d.grant.as_dict()) if d.allow else _refusal(d)

    async def outcome(self, request: web.Request) -> web.Response:
        who = self._who(request)
        body = await request.json()
        d = self.core.outcome(
            who,
            request.match_info["grant"],
            str(body.get("outcome", "")),
            body.get("service"),
            now(),
        )
        if d.allow:
            self.metrics.set_rates(self.core.false_alarm_rates())
            return web.json_response({"outcome": d.reason})
        return _refusal(d)

    async def rates(self, request: web.Request) -> web.Response:
        """False-alarm rates: operators' (the département's supervision among them)."""
        who = self._who(request)
        d = self.core.may_read(who, "rates")
        rows = self.core.false_alarm_rates() if d.allow else []
        refused = self._read(who, "rates", d, count=len(rows) if d.allow else None)
        return refused if refused is not None else web.json_response(rows)

    async def export_request(self, request: web.Request) -> web.Response:
        who = self._who(request)
        body = await request.json()
        res = self.exporter.request(who, request.match_info["grant"], str(body.get("reason", "")))
        return web.json_response(res, status=200 if "export" in res else 403)

    async def export_approve(self, request: web.Request) -> web.Response:
        who = self._who(request)
        res = await self.exporter.approve(who, request.match_info["export"], self)
        return web.json_response(res, status=200 if "manifest_sha256" in res else 403)

    async def break_glass(self, request: web.Request) -> web.Response:
        who = self._who(request)
        body = await request.json()
        d = exceptional.break_glass(
            self.core,
            who,
            str(body.get("camera", "")),
            str(body.get("class", "")),
            str(body.get("reason", "")),
            now(),
        )
        return web.json_response(d.grant.as_dict()) if d.allow else _refusal(d)

    async def requisition(self, request: web.Request) -> web.Response:
        who = self._who(request)
        body = await request.json()
        try:
            start, end = parse(str(body["start"])), parse(str(body["end"]))
        except (KeyError, ValueError):
            return web.json_response({"refused": "start and end (ISO 8601)"}, status=400)
        d = exceptional.record_requisition(
            self.core,
            who,
            str(body.get("camera", "")),
            start,
            end,
            str(body.get("procedure", "")),
            now(),
        )
        return web.json_response({"requisition": d.grant.id}) if d.allow else _refusal(d)

    async def requisition_approve(self, request: web.Request) -> web.Response:
        who = self._who(request)
        res = await exceptional.approve_requisition(
            self.core, self.exporter, who, request.match_info["grant"], self, now()
        )
        return web.json_response(res, status=200 if "manifest_sha256" in res else 403)

    async def page(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name") or "index.html"
        if name not in PAGE_FILES:
            raise web.HTTPNotFound()
        data = resources.files("vigie_access").joinpath("static", name).read_bytes()
        return web.Response(body=data, content_type=PAGE_FILES[name])

    async def metrics_handler(self, _request: web.Request) -> web.Response:
        body, ctype = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": ctype})


PAGE_FILES = {
    "index.html": "text/html",
    "operateur.js": "application/javascript",
    "operateur.css": "text/css",
    "hls.min.js": "application/javascript",
}


def build(api: Api) -> web.Application:
    app = web.Application()

    async def session(app_: web.Application):
        api.http = aiohttp.ClientSession()
        yield
        await api.http.close()

    async def live_account(app_: web.Application):
        transport = None
        if api.delivery_log:
            transport = await listen_delivery_log(api.delivery_log, api.core.sessions)
        sweeper = asyncio.create_task(api.sweep_sessions())
        yield
        sweeper.cancel()
        if transport is not None:
            transport.close()

    app.cleanup_ctx.append(session)
    app.cleanup_ctx.append(live_account)
    r = app.router
    r.add_get("/_auth", api.auth)
    r.add_get("/playlist/{grant}", api.playlist)
    r.add_get("/api/events", api.events)
    r.add_get("/api/rates", api.rates)
    r.add_post("/api/grants/{grant}/token", api.token)
    r.add_get("/api/grants/{grant}/window", api.window_info)
    r.add_post("/api/grants/{grant}/extend", api.extend)
    r.add_post("/api/grants/{grant}/revoke", api.revoke)
    r.add_post("/api/grants/{grant}/outcome", api.outcome)
    r.add_post("/api/grants/{grant}/exports", api.export_request)
    r.add_post("/api/exports/{export}/approve", api.export_approve)
    r.add_post("/api/break-glass", api.break_glass)
    r.add_get("/api/me", api.me)
    r.add_get("/api/requisitions", api.requisitions_to_approve)
    r.add_post("/api/requisitions", api.requisition)
    r.add_post("/api/requisitions/{grant}/approve", api.requisition_approve)
    r.add_get("/operateur/", api.page)
    r.add_get("/operateur/{name}", api.page)
    r.add_get("/metrics", api.metrics_handler)
    r.add_route("*", "/{tail:.*}", api.refused)
    return app


class _DeliveryLog(asyncio.DatagramProtocol):
    def __init__(self, sessions: delivery.Sessions):
        self.sessions = sessions

    def datagram_received(self, data: bytes, _addr) -> None:
        doc = delivery.parse_line(data)
        if doc is not None:
            self.sessions.delivered(doc)


async def listen_delivery_log(path: str, sessions: delivery.Sessions):
    """nginx's `access_log syslog:server=unix:<path>` of the viewing locations
    (`/hls/`, `/live/`)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o660)  # nginx's workers are in the service's group
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _DeliveryLog(sessions), sock=sock
    )
    return transport


async def serve(app: web.Application, socket_path: str, stop: asyncio.Event) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.UnixSite(runner, socket_path, backlog=4096)
    await site.start()
    await stop.wait()
    await runner.cleanup()
