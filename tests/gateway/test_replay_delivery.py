"""The journal tells what reached the operator, not only what was allowed. A replay's
requests are journaled `<kind>_allowed` before nginx serves them (write-ahead); nginx
then logs each answer to the service, and the replay session's end counts what was
delivered and every allowed request the recorder did not answer (here a segment name
inside the window that the recorder does not hold: 404)."""

from __future__ import annotations

import datetime as dt

from tests.gateway.live_viewers import get, grant_for, journaled, segments_of, token
from tests.gateway.services import SESSION_IDLE_S
from vigie_access import segments


def test_a_replay_session_journals_what_was_delivered_and_what_failed(gateway):
    g = grant_for(gateway, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), kind="replayer")
    op = gateway.op("dipn78")
    tok = token(gateway, op, g["id"])
    n = len(gateway.journal_entries())
    pl = get(gateway, op, f"/hls/{g['id']}/index.m3u8", tok)
    assert pl.status_code == 200, pl.text
    names = segments_of(pl.text)[:3]
    delivered = len(pl.content)
    for name in names:
        r = get(gateway, op, f"/hls/{g['id']}/{name}", tok)
        assert r.status_code == 200, (name, r.status_code)
        delivered += len(r.content)
    # One second after a real segment's start: inside the window, on no recorder.
    real = segments.parse_segment_path(names[0])
    absent = segments.segment_name(real.source, real.start + dt.timedelta(seconds=1))
    miss = get(gateway, op, f"/hls/{g['id']}/{absent}", tok)
    assert miss.status_code == 404, miss.status_code
    # The decision was journaled as what it is: allowed, not served.
    allowed = journaled(gateway, n, action="segment_allowed", path=f"/hls/{g['id']}/{absent}")
    assert allowed["decision"] == "allow"
    assert not [e for e in gateway.journal_entries()[n:] if e["action"].endswith("_served")]
    journaled(gateway, n, action="replay_session_started", grant=g["id"], operator=op)
    ended = journaled(
        gateway,
        n,
        timeout=SESSION_IDLE_S + 8,
        action="replay_session_ended",
        grant=g["id"],
        reason="idle",
    )
    assert ended["failed"] == {"404": 1}, ended
    assert (ended["segments"], ended["playlists"]) == (len(names), 1), ended
    assert ended["bytes"] == delivered, (ended["bytes"], delivered)


def test_a_refused_request_is_not_counted_as_delivered(gateway):
    """Another certificate of the same agency, without a token of its own: refused by
    the service, journaled as refused, and in no session's account."""
    g = grant_for(gateway, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), kind="refusee")
    op, other = gateway.op("dipn78"), gateway.op("dipn78", 1)
    tok = token(gateway, op, g["id"])
    n = len(gateway.journal_entries())
    r = get(gateway, other, f"/hls/{g['id']}/index.m3u8", tok)
    assert r.status_code == 403, r.status_code
    journaled(gateway, n, action="playlist_refused", operator=other)
    assert get(gateway, op, f"/hls/{g['id']}/index.m3u8", tok).status_code == 200
    ended = journaled(
        gateway, n, timeout=SESSION_IDLE_S + 8, action="replay_session_ended", grant=g["id"]
    )
    assert ended["actor"]["operator"] == op and "failed" not in ended, ended
    assert ended["playlists"] == 1, ended
