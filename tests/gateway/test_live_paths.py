"""Hostile live paths, sent as is through nginx with the competent operator's own
token and certificate: nothing outside the live contract reaches the recorder
(`<LIVE_PATH>/<source>/live.m3u8` or `<LIVE_PATH>/<source>/<name>.ts`), and only
a name of that contract is ever answered 200."""

from __future__ import annotations

import datetime as dt
import http.client
import re
import ssl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.live_viewers import SOURCE, grant_for, recorder_requests, token
from vigie.desired import LIVE_PATH
from vigie_access import live

CONTRACT = re.compile(rf"^{LIVE_PATH}/{SOURCE}/(live\.m3u8|live[0-9]{{1,20}}\.ts)$")
CHARS = st.sampled_from([*"abcz09_-./\\%?#;:@&=+~$!*()[]'\"<>{}|^`", "%2e", "%2f", "..", "live"])
NAMES = st.lists(CHARS, max_size=24).map("".join)
SHAPES = st.sampled_from(
    [
        "/live/{g}/{x}",
        "/live/{g}/{x}.ts",
        "/live/{g}/{x}/live.m3u8",
        "/live/{g}/live.m3u8{x}",
        "/live/{x}/live.m3u8",
        "/live/{g}{x}",
        "/live/{g}/../{x}",
        "/live{x}",
    ]
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def viewer(gateway):
    g = grant_for(gateway, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10), kind="fuzz")
    op = gateway.op("dipn78")
    ctx = ssl.create_default_context(cafile=str(gateway.pki.ca))
    cert, key = gateway.pki.certs[op]
    ctx.load_cert_chain(str(cert), str(key))
    return {"grant": g["id"], "token": token(gateway, op, g["id"]), "ctx": ctx}


def raw_get(gateway, viewer, path: str) -> int:
    conn = http.client.HTTPSConnection(
        "127.0.0.1", gateway.https_port, context=viewer["ctx"], timeout=10
    )
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {viewer['token']}"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_hostile_live_paths_never_reach_outside_the_contract(gateway, viewer):
    before = len(recorder_requests(gateway))
    answered: list[tuple[str, int]] = []

    @FUZZ
    @given(shape=SHAPES, x=NAMES)
    def one(shape, x):
        path = shape.format(g=viewer["grant"], x=x)
        try:
            status = raw_get(gateway, viewer, path)
        except http.client.InvalidURL:
            return  # the client itself would not send it
        answered.append((path, status))
        # The query string is not part of the name (nginx hands the service the path).
        name = path.split("?", 1)[0].removeprefix(f"/live/{viewer['grant']}/")
        if status == 200:
            assert live.valid_name(name), path

    one()
    assert len(answered) > 50
    reached = recorder_requests(gateway)[before:]
    assert all(CONTRACT.match(p) for p in reached), [p for p in reached if not CONTRACT.match(p)]
    # A valid name did reach the recorder (the check above is not vacuous).
    assert raw_get(gateway, viewer, f"/live/{viewer['grant']}/live.m3u8") in (200, 404)
    assert any(CONTRACT.match(p) for p in recorder_requests(gateway)[before:])
