"""The live view by real traffic: ffmpeg keeps the recorder's rolling buffer of 1 s
segments from real footage; the competent operator plays `/live/<grant>/live.m3u8`
through nginx (mutual TLS, auth_request on the playlist and on every segment);
everyone else is refused and journaled; the live view stops within 1 s of the
grant's end or revocation; viewers of one camera share one upstream fetch per
segment; the journal has each session's start, end and the bytes nginx served."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time

import pytest

from tests.gateway.live_viewers import (
    SEGMENT_LINE,
    SOURCE,
    get,
    grant_for,
    journaled,
    live_requests,
    segments_of,
    token,
)
from tests.gateway.services import SESSION_IDLE_S, SITE
from vigie.desired import LIVE_PATH

CUT_OFF_S = 1.0  # the live view stops within this of the grant's end or revocation


@pytest.fixture(scope="module")
def live(gateway):
    proc = gateway.start_live()
    time.sleep(3)  # a few segments in the buffer
    yield gateway.live_dir
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def grant(gateway, live):
    return grant_for(gateway, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20))


def play(gw, cn, gid, tok, seconds: float, session=None) -> dict:
    """A player's requests for `seconds`: the playlist every 0.5 s, each new segment
    once. Returns the statuses, the bytes received and the segments fetched."""
    s = session or gw.operator(cn)
    got = {"bytes": 0, "segments": [], "statuses": set()}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pl = get(gw, cn, f"/live/{gid}/live.m3u8", tok, s)
        got["statuses"].add(pl.status_code)
        if pl.status_code != 200:
            break
        got["bytes"] += len(pl.content)
        for name in segments_of(pl.text)[-3:]:
            if name in got["segments"]:
                continue
            r = get(gw, cn, f"/live/{gid}/{name}", tok, s)
            got["statuses"].add(r.status_code)
            if r.status_code == 200:
                got["bytes"] += len(r.content)
                got["segments"].append(name)
        time.sleep(0.5)
    return got


def test_competent_operator_plays_live(gateway, grant):
    op = gateway.op("dipn78")
    n = len(gateway.journal_entries())
    tok = token(gateway, op, grant["id"])
    pl = get(gateway, op, f"/live/{grant['id']}/live.m3u8", tok)
    assert pl.status_code == 200, pl.text
    assert "#EXT-X-ENDLIST" not in pl.text
    assert pl.headers["Cache-Control"] == "no-store"
    names = segments_of(pl.text)
    assert names and all(SEGMENT_LINE.match(x) for x in names), pl.text
    seg = get(gateway, op, f"/live/{grant['id']}/{names[-1]}", tok)
    assert seg.status_code == 200
    assert seg.headers["Cache-Control"] == "no-store"
    assert seg.content[:1] == b"\x47" and len(seg.content) > 10_000
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", "-"],
        input=seg.content,
        capture_output=True,
        check=True,
    )
    assert set(probe.stdout.split()) == {b"h264"}
    e = journaled(gateway, n, action="live_session_started", operator=op, grant=grant["id"])
    assert e["camera"] == f"{SITE}/{grant['camera']}"
    journaled(gateway, n, action="live_segment_allowed", operator=op)
    assert f"{LIVE_PATH}/{SOURCE}/{names[-1]}" in live_requests(gateway)


def refused(gateway, cn, path, tok, rule):
    n = len(gateway.journal_entries())
    before = len(live_requests(gateway))
    r = get(gateway, cn, path, tok)
    assert r.status_code == 403, (r.status_code, r.text[:200])
    journaled(gateway, n, rule=rule, decision="deny", operator=cn)
    assert len(live_requests(gateway)) == before, "a refused request reached the recorder"


@pytest.mark.parametrize("name", ["live.m3u8", "live0.ts"])
def test_another_agency_is_refused(gateway, grant, name):
    tok = token(gateway, gateway.op("dipn78"), grant["id"])
    r = gateway.operator(gateway.op("ggd78")).post(
        f"{gateway.url}/api/grants/{grant['id']}/token", timeout=5
    )
    assert r.status_code == 403
    # Even holding the competent operator's token, with its own certificate.
    path = f"/live/{grant['id']}/{name}"
    refused(gateway, gateway.op("ggd78"), path, tok, "ACCESS-GRANT-AGENCY")


def test_a_token_of_another_grant_is_refused(gateway, grant):
    other = grant_for(gateway, dt.datetime.now(dt.UTC), cls="tamper", kind="covered")
    assert other["id"] != grant["id"]
    tok = token(gateway, gateway.op("dipn78"), other["id"])
    path = f"/live/{grant['id']}/live.m3u8"
    refused(gateway, gateway.op("dipn78"), path, tok, "ACCESS-TOKEN-GRANT")


def test_another_certificate_is_refused(gateway, grant):
    tok = token(gateway, gateway.op("dipn78"), grant["id"])
    path = f"/live/{grant['id']}/live.m3u8"
    refused(gateway, gateway.op("dipn78", 1), path, tok, "ACCESS-TOKEN-CERTIFICATE")


def test_no_token_is_refused(gateway, grant):
    path = f"/live/{grant['id']}/live.m3u8"
    refused(gateway, gateway.op("dipn78"), path, None, "ACCESS-TOKEN-MISSING")


def test_before_the_event_is_refused(gateway, live):
    """An event dated a minute ahead (the clock skew the service accepts): its
    grant's live view starts at the event, not before."""
    g = grant_for(gateway, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60), kind="vehicle")
    tok = token(gateway, gateway.op("dipn78"), g["id"])
    path = f"/live/{g['id']}/live.m3u8"
    refused(gateway, gateway.op("dipn78"), path, tok, "ACCESS-LIVE-NOT-YET")


def cut_off(gateway, gid, tok, deadline: dt.datetime | None, act=None) -> dict:
    """Play until refused; `act()` (a revocation) runs once 1.5 s have played and
    sets the deadline. Returns the deadline, the last 200 and the first refusal."""
    op = gateway.op("dipn78")
    s = gateway.operator(op)
    out = {"deadline": deadline, "last_ok": None, "refused": None, "bytes": 0}
    started = time.monotonic()
    seen: set[str] = set()
    while time.monotonic() - started < 30:
        if act is not None and out["deadline"] is None and time.monotonic() - started > 1.5:
            out["deadline"] = act()
        sent = dt.datetime.now(dt.UTC)
        pl = get(gateway, op, f"/live/{gid}/live.m3u8", tok, s)
        if pl.status_code != 200:
            out["refused"], out["status"] = sent, pl.status_code
            return out
        out["last_ok"] = sent
        out["bytes"] += len(pl.content)
        for name in segments_of(pl.text)[-2:]:
            if name not in seen:
                r = get(gateway, op, f"/live/{gid}/{name}", tok, s)
                if r.status_code == 200:
                    seen.add(name)
                    out["bytes"] += len(r.content)
        time.sleep(0.05)
    raise AssertionError("the live view never stopped")


def test_live_stops_within_1_s_of_the_grants_end(gateway, live):
    """An event 14 min 52 s old: its live window (15 min) ends in ~8 s."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14, seconds=52)
    g = grant_for(gateway, when, kind="animal")
    n = len(gateway.journal_entries())
    tok = token(gateway, gateway.op("dipn78"), g["id"])
    deadline = min(
        dt.datetime.fromisoformat(g["live_until"]), dt.datetime.fromisoformat(g["window_end"])
    )
    out = cut_off(gateway, g["id"], tok, deadline)
    assert out["status"] == 403
    assert out["last_ok"] < deadline, "a live answer after the grant's end"
    delay = (out["refused"] - deadline).total_seconds()
    print(f"grant end -> first refusal: {delay * 1000:.0f} ms")
    # Sent just before the deadline, it may arrive just after it: refused, rightly.
    assert -0.1 < delay < CUT_OFF_S, delay
    why = journaled(gateway, n, action="live_playlist_refused", decision="deny")
    assert why["rule"] == "ACCESS-GRANT-EXPIRED", why  # the grant, not the token
    e = journaled(
        gateway, n, timeout=10, action="live_session_ended", grant=g["id"], reason="grant-ended"
    )
    assert e["bytes"] == out["bytes"], (e, out["bytes"])
    assert e["segments"] >= 3 and e["playlists"] >= 3


def test_live_stops_within_1_s_of_a_revocation(gateway, live):
    g = grant_for(gateway, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5), kind="bicycle")
    tok = token(gateway, gateway.op("dipn78"), g["id"])
    sup = next(p for p in gateway.people["dipn78"] if "/sup-" in p)
    url = f"{gateway.url}/api/grants/{g['id']}/revoke"
    no = gateway.operator(gateway.op("dipn78")).post(url, json={"reason": "x"}, timeout=5)
    assert no.status_code == 403 and no.json()["rule"] == "ACCESS-REVOKE"
    n = len(gateway.journal_entries())

    def revoke():
        r = gateway.operator(sup).post(url, json={"reason": "fin d'intervention"}, timeout=5)
        assert r.status_code == 200, r.text
        return dt.datetime.now(dt.UTC)

    out = cut_off(gateway, g["id"], tok, None, revoke)
    delay = (out["refused"] - out["deadline"]).total_seconds()
    print(f"revocation -> first refusal: {delay * 1000:.0f} ms")
    assert out["status"] == 403 and delay < CUT_OFF_S, delay
    journaled(gateway, n, action="grant_revoked", grant=g["id"], operator=sup)
    journaled(gateway, n, rule="ACCESS-GRANT-EXPIRED", decision="deny")
    e = journaled(
        gateway, n, timeout=10, action="live_session_ended", grant=g["id"], reason="revoked"
    )
    assert e["bytes"] == out["bytes"]


def test_viewers_of_one_camera_share_one_upstream_fetch_per_segment(gateway, grant):
    """Three operators (two of the police, one of the département: two grants) watch
    the camera at once: the recorder is asked each segment once."""
    cd78 = grant_for_agency(gateway, grant, "cd78-supervision")
    viewers = [
        (gateway.op("dipn78"), grant["id"]),
        (gateway.op("dipn78", 1), grant["id"]),
        (gateway.op("cd78-supervision"), cd78),
    ]
    time.sleep(SESSION_IDLE_S + 1)  # the earlier tests' sessions have ended
    toks = [token(gateway, cn, gid) for cn, gid in viewers]
    n = len(gateway.journal_entries())
    before = len(live_requests(gateway))
    results: list[dict] = [{} for _ in viewers]

    def run(i):
        cn, gid = viewers[i]
        results[i] = play(gateway, cn, gid, toks[i], 6)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(viewers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r["statuses"] == {200} for r in results), results
    asked = [p for p in live_requests(gateway)[before:] if p.endswith(".ts")]
    fetched = {s for r in results for s in r["segments"]}
    assert len(fetched) >= 4
    per_segment = {s: asked.count(f"{LIVE_PATH}/{SOURCE}/{s}") for s in fetched}
    print(f"{len(viewers)} viewers, upstream GETs per segment: {per_segment}")
    assert set(per_segment.values()) == {1}, per_segment
    # Each session's end (idle) carries the bytes that viewer received.
    for (cn, gid), r in zip(viewers, results, strict=True):
        e = journaled(
            gateway,
            n,
            timeout=SESSION_IDLE_S + 8,
            action="live_session_ended",
            operator=cn,
            grant=gid,
            reason="idle",
        )
        assert e["bytes"] == r["bytes"], (cn, e, r["bytes"])
        assert e["segments"] == len(r["segments"])


def grant_for_agency(gateway, grant: dict, agency: str) -> str:
    for g in gateway.grants(gateway.op(agency)):
        if g["event_time"] == grant["event_time"] and g["camera"] == grant["camera"]:
            return g["id"]
    raise AssertionError(f"no grant of {agency} for the event")
