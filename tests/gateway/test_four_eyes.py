"""Four eyes, over HTTPS against the running service: only a judicial police officer
records a requisition, and one requisition or one export request yields one export,
however many times (or however simultaneously) it is approved."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

from tests.gateway.gw_footage import file_segments
from tests.gateway.services import CAMERA, SEGMENT_S, SITE

REQ_CAMERA = "mairie-sartrouville/parvis"
DESIGNEE = "pm-sartrouville/sup-0001"


def requisition_body(gateway, minutes_ago: int) -> dict:
    site, cam = REQ_CAMERA.split("/")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(minutes=minutes_ago, seconds=now.second % SEGMENT_S)
    file_segments(gateway.parts, gateway.storage, f"{site}-{cam}", start, 10, SEGMENT_S)
    return {
        "camera": REQ_CAMERA,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(seconds=16)).isoformat(),
        "procedure": "PV 2026/000456 — réquisition art. 60-1 CPP",
    }


def record(gateway, who: str, body: dict) -> str:
    r = gateway.operator(who).post(f"{gateway.url}/api/requisitions", json=body)
    assert r.status_code == 200, r.text
    return r.json()["requisition"]


def at_once(*calls):
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def journaled(gateway, keep, at_least: int = 1, timeout: float = 5) -> list[dict]:
    """The journal's entries that `keep` accepts, once there are `at_least` of them
    (the journal writes in the background), or when `timeout` is over."""
    end = time.monotonic() + timeout
    while True:
        found = [e for e in gateway.journal_entries() if keep(e)]
        if len(found) >= at_least or time.monotonic() > end:
            return found
        time.sleep(0.1)


def produced(gateway, **match) -> list[dict]:
    """The `export produced` entries matching `match`: once the first is there, a
    moment more, so that a second one would be there too."""

    def keep(e: dict) -> bool:
        return (
            e["action"] == "export"
            and e["result"] == "produced"
            and all(e.get(k) == v for k, v in match.items())
        )

    journaled(gateway, keep)
    time.sleep(0.5)
    return [e for e in gateway.journal_entries() if keep(e)]


def test_only_a_judicial_police_officer_records_a_requisition(gateway):
    body = requisition_body(gateway, 6)
    for who in (gateway.op("pm-sartrouville"), DESIGNEE, gateway.op("cd78-supervision")):
        r = gateway.operator(who).post(f"{gateway.url}/api/requisitions", json=body)
        assert r.status_code == 403, (who, r.text)
        assert r.json()["rule"] == "ACCESS-WAY-REQUISITION"
    refused = journaled(
        gateway,
        lambda e: (
            e["action"] == "requisition"
            and e["result"] == "refused"
            and e["actor"]["operator"] == DESIGNEE
        ),
    )
    assert refused


def test_a_requisition_approved_twice_yields_one_export(gateway):
    gid = record(gateway, gateway.op("dipn78"), requisition_body(gateway, 8))
    designee = gateway.operator(DESIGNEE)
    first = designee.post(f"{gateway.url}/api/requisitions/{gid}/approve", timeout=60)
    assert first.status_code == 200, first.text
    again = designee.post(f"{gateway.url}/api/requisitions/{gid}/approve", timeout=60)
    assert again.status_code == 403
    assert again.json() == {"refused": "ACCESS-EXPORT-DONE", "export": first.json()["export"]}
    exports = sorted(p.name for p in (gateway.service_dir / "exports").iterdir())
    assert first.json()["export"] in exports
    event = next(g["event_id"] for g in gateway.grants(gateway.op("dipn78")) if g["id"] == gid)
    assert len(produced(gateway, event=event)) == 1
    done = journaled(
        gateway,
        lambda e: e["action"] == "requisition_approval" and e["rule"] == "ACCESS-EXPORT-DONE",
    )
    assert done and done[-1]["decision"] == "deny" and done[-1]["export"] == first.json()["export"]


def test_a_requisition_approved_twice_at_once_yields_one_export(gateway):
    gid = record(gateway, gateway.op("dipn78"), requisition_body(gateway, 10))
    url = f"{gateway.url}/api/requisitions/{gid}/approve"
    a, b = gateway.operator(DESIGNEE), gateway.operator(DESIGNEE)
    got = at_once(lambda: a.post(url, timeout=60), lambda: b.post(url, timeout=60))
    assert sorted(r.status_code for r in got) == [200, 403]
    event = next(g["event_id"] for g in gateway.grants(gateway.op("dipn78")) if g["id"] == gid)
    assert len(produced(gateway, event=event)) == 1


def test_an_export_approved_by_two_at_once_is_produced_once(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=50)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when, kind="vehicle")
    gid = gateway.wait_grant(gateway.op("dipn78"), doc["time"], timeout=5)["id"]
    time.sleep(0.5)
    people = gateway.people["dipn78"]
    requester, second, third = (gateway.operator(p) for p in people[:3])
    r = requester.post(
        f"{gateway.url}/api/grants/{gid}/exports", json={"reason": "PV à venir : vol"}
    )
    assert r.status_code == 200, r.text
    ex = r.json()["export"]
    url = f"{gateway.url}/api/exports/{ex}/approve"
    got = at_once(lambda: second.post(url, timeout=60), lambda: third.post(url, timeout=60))
    assert sorted(r.status_code for r in got) == [200, 403]
    assert next(r for r in got if r.status_code == 403).json()["refused"] == "ACCESS-EXPORT-DONE"
    assert len(produced(gateway, export=ex)) == 1
    # The requester, afterwards: still refused, and still one export.
    assert requester.post(url).json() == {"refused": "ACCESS-EXPORT-FOUR-EYES"}
    assert len(produced(gateway, export=ex)) == 1


def test_a_blank_reason_extends_nothing(gateway):
    """Not four eyes, but the same engine: an extension whose reason is blank (any
    script's spaces, a zero-width space) is refused and journaled; a written one is
    granted."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when, kind="bicycle")
    g = gateway.wait_grant(gateway.op("dipn78"), doc["time"], timeout=5)
    gid = g["id"]
    s = gateway.operator(gateway.op("dipn78"))
    url = f"{gateway.url}/api/grants/{gid}/extend"
    for reason in (" ", "\u00a0\u3000\t", "\u200b"):
        r = s.post(url, json={"reason": reason})
        assert r.status_code == 403, (reason, r.text)
        assert r.json()["rule"] == "ACCESS-REASON-REQUIRED"
    refused = journaled(
        gateway,
        lambda e: (
            e["action"] == "extension"
            and e.get("event") == g["event_id"]
            and e["rule"] == "ACCESS-REASON-REQUIRED"
        ),
        at_least=3,
    )
    assert len(refused) == 3 and {e["decision"] for e in refused} == {"deny"}
    assert s.post(url, json={"reason": "le suspect est encore là"}).status_code == 200
