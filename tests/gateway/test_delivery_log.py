"""nginx's delivery log lines, as the service reads them from its datagram socket:
counted in the right session, and never an exception whatever arrives."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from vigie_access import delivery

GRANT = "0123456789abcdef"
OP = "dipn78/op-0001"
T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def opened() -> delivery.Sessions:
    sessions = delivery.Sessions()
    sessions.touch("replay", GRANT, "dipn78", OP, "col-x-cam", T0)
    sessions.touch("live", GRANT, "dipn78", OP, "col-x-cam", T0)
    return sessions


def line(uri: str, status: int, auth: str = "200", nbytes: int = 100, dn: str = OP) -> bytes:
    doc = {
        "uri": uri,
        "status": status,
        "auth": auth,
        "bytes": nbytes,
        "upstream": "200",
        "cache": "MISS",
        "dn": f"CN={dn},O=Vigie",
        "serial": "01",
        "msec": 1.0,
    }
    return b"<190>Dec  7 12:00:00 vigie_delivery: " + json.dumps(doc).encode()


def feed(sessions: delivery.Sessions, *datagrams: bytes) -> None:
    for d in datagrams:
        doc = delivery.parse_line(d)
        if doc is not None:
            sessions.delivered(doc)


def test_answers_are_counted_in_their_ways_session():
    s = opened()
    feed(
        s,
        line(f"/hls/{GRANT}/index.m3u8", 200, nbytes=300),
        line(f"/hls/{GRANT}/col-x-cam/2026-12-07/col-x-cam_20261207T115900Z.ts", 200),
        line(f"/hls/{GRANT}/col-x-cam/2026-12-07/col-x-cam_20261207T115901Z.ts", 404),
        line(f"/hls/{GRANT}/snapshots/col-x-cam_20261207T115930Z.jpg", 200, nbytes=50),
        line(f"/live/{GRANT}/live12.ts", 502),
        # refused by the service: its decision entry says so, no session counts it
        line(f"/hls/{GRANT}/index.m3u8", 403, auth="403"),
        # another operator's answer: not this session's
        line(f"/hls/{GRANT}/index.m3u8", 200, dn="dipn78/op-0002"),
    )
    replay = s.open[("replay", GRANT, OP)].account()
    assert (replay["playlists"], replay["segments"], replay["snapshots"]) == (1, 1, 1)
    assert replay["bytes"] == 450 and replay["failed"] == {"404": 1}
    live = s.open[("live", GRANT, OP)].account()
    assert live["failed"] == {"502": 1} and live["bytes"] == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)
KEYS = st.sampled_from(["uri", "status", "auth", "bytes", "upstream", "cache", "dn"])


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_on_the_socket_raise_nothing(data):
    feed(opened(), data, b"<190>x: " + data, b"{" + data)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, JSON), st.sampled_from(["hls", "live"]))
def test_any_json_line_raises_nothing_and_counts_no_negative_bytes(doc, way):
    s = opened()
    doc.setdefault("uri", f"/{way}/{GRANT}/index.m3u8")
    doc.setdefault("dn", f"CN={OP},O=Vigie")
    feed(s, b"<190>x: " + json.dumps(doc).encode())
    for session in s.open.values():
        assert session.bytes >= 0
        assert sum(session.failed.values()) <= 1


def test_a_line_nested_past_the_parsers_depth_is_dropped():
    assert delivery.parse_line(b"<190>x: " + b"[" * 100_000) is None
