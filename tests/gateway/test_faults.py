"""Faults: broker restart and crash (no accepted event lost), access service
restart (grants kept), service down (viewing fails closed), recorder down (the
operator is told which footage is missing). Runs last: it stops and starts servers."""

from __future__ import annotations

import datetime as dt
import signal
import time

from tests.gateway.services import CAMERA, SITE


def _playable(gw, op, gid):
    s = gw.operator(op)
    tok = s.post(f"{gw.url}/api/grants/{gid}/token", timeout=5)
    assert tok.status_code == 200, tok.text
    h = {"Authorization": f"Bearer {tok.json()['token']}"}
    pl = s.get(f"{gw.url}/hls/{gid}/index.m3u8", headers=h, timeout=10)
    assert pl.status_code == 200
    seg = next(x for x in pl.text.splitlines() if x.endswith(".ts"))
    return s, h, seg


def test_accepted_event_survives_broker_restart_and_crash(gateway):
    """The service is down; the broker accepts (PUBACK) two events for its persistent
    session; the broker is restarted, then killed (-9) and started; the service comes
    back and grants both."""
    gateway.procs["service"].stop()
    t1 = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    d1 = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "tamper", t1, kind="covered")
    gateway.procs["broker"].restart()
    t2 = t1 + dt.timedelta(seconds=5)
    d2 = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "tamper", t2, kind="blinded")
    time.sleep(0.5)  # autosave_on_changes writes the database after each change
    gateway.procs["broker"].stop(signal.SIGKILL)
    gateway.procs["broker"].start()
    gateway.start_service()
    op = gateway.op("dipn78")
    assert gateway.wait_grant(op, d1["time"], timeout=10)
    assert gateway.wait_grant(op, d2["time"], timeout=10)


def test_service_restart_keeps_grants(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=40)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    s, h, seg = _playable(gateway, op, g["id"])
    gateway.procs["service"].stop()
    gateway.start_service()
    after = gateway.wait_grant(op, doc["time"])
    assert after["id"] == g["id"] and after["window_end"] == g["window_end"]
    # The token issued before the restart still works (same key), and so does a new one.
    assert s.get(f"{gateway.url}/hls/{g['id']}/{seg}", headers=h, timeout=10).status_code == 200
    _playable(gateway, op, g["id"])


def test_recorder_down_tells_which_footage_is_missing(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=45)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    gateway.procs["recorder"].stop()
    try:
        r = gateway.operator(op).get(f"{gateway.url}/api/grants/{g['id']}/window", timeout=10)
        assert r.status_code == 200
        missing = r.json()["missing"]
        assert missing and f"{SITE}-rec1" in missing[0] and "unreachable" in missing[0]
    finally:
        gateway.procs["recorder"].start()


def test_service_down_fails_closed(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    s, h, seg = _playable(gateway, op, g["id"])
    gateway.procs["service"].stop()
    try:
        for path in (f"/hls/{g['id']}/{seg}", f"/hls/{g['id']}/index.m3u8"):
            r = s.get(f"{gateway.url}{path}", headers=h, timeout=10)
            assert r.status_code >= 400 and r.status_code != 404, r.status_code
            assert b"G@" not in r.content[:4]  # no MPEG-TS packet served
    finally:
        gateway.start_service()
