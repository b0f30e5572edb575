"""Grants cannot chain without limit, and a flood is itself an anomaly: both are
journaled and told to the département's supervision (the real core on the pilot's
model; `core` in conftest.py)."""

from __future__ import annotations

import datetime as dt

from tests.gateway.services import SITE
from vigie import central
from vigie_access.core import Rejection

CAMERA = "portail"
SUPERVISION = "cd78-supervision"


def intrusion(t: dt.datetime, kind: str) -> dict:
    return {"site": SITE, "camera": CAMERA, "class": "intrusion", "kind": kind,
            "time": t.isoformat(timespec="milliseconds")}  # fmt: skip


def told(core, alert: str) -> list[dict]:
    topic = central.notification_topic(SUPERVISION)
    return [doc for t, doc in core.notes if t == topic and doc.get("alert") == alert]


def test_a_camera_raising_the_same_anomaly_all_day_is_capped_and_supervision_decides(core):
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=20)
    terms = core.policy.terms(SITE)
    window = (terms.before + terms.after).total_seconds()
    allowed = int(central.GRANT_CAP_VIEWING_S // window)
    per_agency: dict[str, int] = {}
    # One event every ten minutes (each its own kind: no join), as a looping scene would.
    for i in range(allowed + 3):
        now = start + dt.timedelta(minutes=10 * i)
        for g in core.on_event(intrusion(now - dt.timedelta(seconds=2), f"k{i}"), "detector", now):
            per_agency[g.agency] = per_agency.get(g.agency, 0) + 1
    assert per_agency and set(per_agency.values()) == {allowed}, per_agency
    capped = [e for e in core.journal.entries if e["action"] == "grant_capped"]
    assert {e["actor"]["agency"] for e in capped} == set(per_agency)
    assert len(capped) == 3 * len(per_agency)
    assert all(e["decision"] == "deny" and e["rule"] == "ACCESS-GRANT-CAP" for e in capped)
    # The supervision is told once per camera, class and agency, not at every event.
    alerts = told(core, "grant_cap")
    assert sorted(a["agency"] for a in alerts) == sorted(per_agency)
    assert all(
        a["camera"] == f"{SITE}/{CAMERA}" and a["event_class"] == "intrusion" for a in alerts
    )

    # Another class on the same camera is another anomaly: a tamper still opens grants.
    now = start + dt.timedelta(minutes=10 * (allowed + 3))
    tamper = {**intrusion(now, "covered"), "class": "tamper"}
    assert core.on_event(tamper, "detector", now + dt.timedelta(seconds=1))

    # A day later the period has slid past the first grants: intrusions open again.
    later = start + dt.timedelta(hours=30)
    assert core.on_event(intrusion(later, "again"), "detector", later + dt.timedelta(seconds=1))


def test_an_event_delivered_again_keeps_its_grant_past_the_cap(core):
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=20)
    terms = core.policy.terms(SITE)
    allowed = int(central.GRANT_CAP_VIEWING_S // (terms.before + terms.after).total_seconds())
    docs = []
    for i in range(allowed):
        now = start + dt.timedelta(minutes=10 * i)
        docs.append((intrusion(now, f"k{i}"), now))
        assert core.on_event(*docs[-1][:1], "detector", now)
    # The last one again (not acknowledged before a crash): same grants, not capped.
    doc, now = docs[-1]
    again = core.on_event(doc, "detector", now + dt.timedelta(seconds=30))
    assert again and not [e for e in core.journal.entries if e["action"] == "grant_capped"]


def test_a_flooding_detector_is_reported_to_the_supervision_once_per_period(core):
    now = dt.datetime.now(dt.UTC)
    topic = central.event_topic(SITE, CAMERA)
    publisher = f"detector:{SITE}/{CAMERA}"
    for i in range(50):
        r = Rejection("rate-limit", "over 10 events a minute", topic, publisher, "{}", 2)
        core.on_event(r, publisher, now + dt.timedelta(seconds=i))
    rejected = [e for e in core.journal.entries if e["action"] == "event_rejected"]
    assert len(rejected) == 50 and all(e["reason"] == "rate-limit" for e in rejected)
    assert [a["publisher"] for a in told(core, "flood")] == [publisher]
    # Past the period, a flood that goes on is told again.
    later = now + dt.timedelta(seconds=central.FLOOD_ALERT_EVERY_S + 1)
    core.on_event(Rejection("rate-limit", "again", topic, publisher, "{}", 2), publisher, later)
    assert len(told(core, "flood")) == 2
    # Other rejections (a bad time, poison) are journaled but tell nobody.
    core.on_event(Rejection("bad-time", "x", topic, publisher, "{}", 2), publisher, later)
    assert len(told(core, "flood")) == 2
