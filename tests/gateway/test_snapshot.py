"""The event's still image: kept on the detector host, served through the same
auth_request check as every segment, only to the competent operator, journaled."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.gateway.services import CAMERA, SITE
from tests.gateway.test_refusals import get, journaled


@pytest.fixture(scope="module")
def event(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=40)
    name = gateway.make_snapshot(SITE, CAMERA, when, "intrusion", "person")
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when, snapshot=name)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    tok = gateway.operator(op).post(f"{gateway.url}/api/grants/{g['id']}/token").json()["token"]
    return {"grant": g, "name": name, "token": tok, "op": op}


def test_the_competent_operator_sees_the_snapshot_and_it_is_journaled(gateway, event):
    g, op = event["grant"], event["op"]
    assert g["snapshot"] == f"/hls/{g['id']}/snapshots/{event['name']}"
    n = len(gateway.journal_entries())
    r = get(gateway, op, g["snapshot"], event["token"])
    assert r.status_code == 200, r.text
    assert r.content[:3] == b"\xff\xd8\xff"  # a JPEG
    assert r.content == (gateway.snapshots / event["name"]).read_bytes()
    served = [e for e in gateway.journal_entries()[n:] if e["action"] == "snapshot_allowed"]
    assert served and served[0]["actor"]["operator"] == op
    assert served[0]["camera"] == f"{SITE}/{CAMERA}"


def test_no_snapshot_without_a_token(gateway, event):
    n = len(gateway.journal_entries())
    r = get(gateway, event["op"], event["grant"]["snapshot"], None)
    assert r.status_code == 403
    journaled(gateway, "ACCESS-TOKEN-MISSING", event["op"], n)


@pytest.mark.parametrize("agency", ["ggd78", "sdis78"])
def test_another_agency_gets_no_snapshot(gateway, event, agency):
    op = gateway.op(agency)
    assert all(x["id"] != event["grant"]["id"] for x in gateway.grants(op))
    n = len(gateway.journal_entries())
    r = get(gateway, op, event["grant"]["snapshot"], event["token"])
    assert r.status_code == 403
    journaled(gateway, "ACCESS-GRANT-AGENCY", op, n)


def test_only_the_events_own_snapshot(gateway, event):
    """Another file of the detector host (another event's snapshot) is refused."""
    other_time = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    other = gateway.make_snapshot(SITE, CAMERA, other_time, "intrusion", "person")
    n = len(gateway.journal_entries())
    path = f"/hls/{event['grant']['id']}/snapshots/{other}"
    r = get(gateway, event["op"], path, event["token"])
    assert r.status_code == 403
    journaled(gateway, "ACCESS-SNAPSHOT", event["op"], n)


def test_an_event_without_snapshot_offers_none(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "tamper", when, kind="covered")
    g = gateway.wait_grant(gateway.op("dipn78"), doc["time"])
    assert "snapshot" not in g


def test_no_snapshot_once_the_grant_has_expired(gateway):
    """The still image follows the grant's time box: an event older than its live
    window offers none, even though the detector host still keeps the file."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    name = gateway.make_snapshot(SITE, CAMERA, when, "intrusion", "person")
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when, snapshot=name)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    assert "snapshot" not in g
    r = gateway.operator(op).post(f"{gateway.url}/api/grants/{g['id']}/token")
    assert r.status_code == 403 and r.json()["rule"] == "ACCESS-GRANT-EXPIRED"
