"""What the operator reads besides footage, on the real services: a still image only
from inside the grant's window, a window only while the grant is open, every read
of the page's API journaled (who, what), the cameras of an operator's forms only
those his agency is competent for, the false-alarm rates to operators only.

These tests use the collège's `cour` camera, which no other test's events touch
(its detector's rate limit is theirs alone)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.gateway.services import SITE
from tests.gateway.test_refusals import get
from vigie.access_policy.competence import decide, requisition_approver
from vigie.access_policy.events import Event, Request
from vigie_access import snapshots

COUR = "cour"  # intrusion and fire detection, analysed by the collège's detector host
DETECTOR = f"{SITE}-det1"


def entries(gw, since: int, action: str, operator: str, want: int = 1, timeout: float = 3):
    """The journal's `action` entries of `operator` after the first `since`, once at
    least `want` of them are on disk (reads are queued, written by the next commit)."""
    end = time.monotonic() + timeout
    while True:
        found = [
            e
            for e in gw.journal_entries()[since:]
            if e["action"] == action and e.get("actor", {}).get("operator") == operator
        ]
        if len(found) >= want or time.monotonic() > end:
            return found
        time.sleep(0.05)


def api(gw, cn: str, path: str):
    return gw.operator(cn).get(f"{gw.url}{path}", timeout=10)


@pytest.fixture(scope="module")
def fresh(gateway):
    """A fresh intrusion at the cour naming a still image the detector took two days
    earlier (a replayed or forged name): its file is on the detector host."""
    now = dt.datetime.now(dt.UTC)
    old = gateway.make_snapshot(SITE, COUR, now - dt.timedelta(days=2), "intrusion", "person")
    when = now - dt.timedelta(seconds=30)
    doc = gateway.publish_event(DETECTOR, SITE, COUR, "intrusion", when, snapshot=old)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    r = gateway.operator(op).post(f"{gateway.url}/api/grants/{g['id']}/token", timeout=5)
    assert r.status_code == 200, r.text
    return {"grant": g, "name": old, "token": r.json()["token"], "op": op}


@pytest.fixture(scope="module")
def expired(gateway):
    """An intrusion at the cour 20 minutes ago: its grant's live view (15 min) is over."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    doc = gateway.publish_event(DETECTOR, SITE, COUR, "intrusion", when, kind="vehicle")
    return gateway.wait_grant(gateway.op("dipn78"), doc["time"])


# -- 1. a still image only from inside the window -----------------------------------------
def test_a_snapshot_taken_outside_the_window_is_neither_offered_nor_served(gateway, fresh):
    g, op, name = fresh["grant"], fresh["op"], fresh["name"]
    assert (gateway.snapshots / name).is_file()  # the detector host still keeps it
    assert "snapshot" not in g
    n = len(gateway.journal_entries())
    r = get(gateway, op, f"/hls/{g['id']}/{snapshots.PREFIX}{name}", fresh["token"])
    assert r.status_code == 403
    assert r.content[:3] != b"\xff\xd8\xff"  # no JPEG
    refused = entries(gateway, n, "snapshot_refused", op)
    assert refused and refused[0]["rule"] == "ACCESS-SNAPSHOT-WINDOW"
    assert refused[0]["decision"] == "deny" and refused[0]["event"] == g["event_id"]
    assert not entries(gateway, n, "snapshot_allowed", op, timeout=0)


@pytest.mark.parametrize(
    ("offset_s", "kind", "served"),
    [(-1, "animal", False), (1, "intruder", True)],
)
def test_the_windows_start_bounds_the_snapshot(gateway, offset_s, kind, served):
    """A still image one second before the window's start is refused; one second
    after it, served: the bound is the grant's own window."""
    from vigie.access_policy.settings import site_settings

    before = dt.timedelta(
        minutes=site_settings(gateway.inv, gateway.inv.sites[SITE]).window_before_min
    )
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20 if served else 25)
    taken = when - before + dt.timedelta(seconds=offset_s)
    name = gateway.make_snapshot(SITE, COUR, taken, "intrusion", kind)
    doc = gateway.publish_event(DETECTOR, SITE, COUR, "intrusion", when, kind=kind, snapshot=name)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    assert ("snapshot" in g) is served
    tok = gateway.operator(op).post(f"{gateway.url}/api/grants/{g['id']}/token").json()["token"]
    n = len(gateway.journal_entries())
    r = get(gateway, op, f"/hls/{g['id']}/{snapshots.PREFIX}{name}", tok)
    assert r.status_code == (200 if served else 403)
    action = "snapshot_allowed" if served else "snapshot_refused"
    assert entries(gateway, n, action, op)[0]["event"] == g["event_id"]


def _stamp_name(when: dt.datetime) -> str:
    """The detector's own naming (vigie_detector.events.snapshot_name)."""
    from vigie_detector.events import Event as DetectorEvent
    from vigie_detector.events import snapshot_name

    return snapshot_name(DetectorEvent(SITE, COUR, "intrusion", "person", None, when, 0.9))


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_the_service_reads_the_time_the_detector_writes_in_a_snapshots_name(naive):
    when = naive.replace(tzinfo=dt.UTC)
    name = _stamp_name(when)
    assert snapshots.valid_name(name, SITE, COUR)
    assert snapshots.taken_at(name) == when


# -- 2. a window only while the grant is open; 3. every read journaled ----------------------
def test_an_expired_grants_window_is_refused_and_journaled(gateway, expired):
    op = gateway.op("dipn78")
    assert expired["open"] is False
    n = len(gateway.journal_entries())
    r = api(gateway, op, f"/api/grants/{expired['id']}/window")
    assert r.status_code == 403
    assert r.json()["rule"] == "ACCESS-GRANT-EXPIRED"
    refused = entries(gateway, n, "window_refused", op)
    assert len(refused) == 1 and refused[0]["rule"] == "ACCESS-GRANT-EXPIRED"
    assert refused[0]["grant"] == expired["id"] and refused[0]["camera"] == f"{SITE}/{COUR}"


def test_every_read_of_an_open_window_is_journaled(gateway, fresh):
    g, op = fresh["grant"], fresh["op"]
    n = len(gateway.journal_entries())
    for _ in range(3):
        r = api(gateway, op, f"/api/grants/{g['id']}/window")
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"segments", "missing", "live"}
    read = entries(gateway, n, "window_read", op, want=3)
    time.sleep(0.3)
    assert len(entries(gateway, n, "window_read", op, timeout=0)) == 3  # one per request
    for e in read:
        assert e["decision"] == "allow" and e["actor"]["agency"] == "dipn78"
        assert e["grant"] == g["id"] and e["event"] == g["event_id"]
        assert e["camera"] == f"{SITE}/{COUR}" and "segments" in e and "live" in e


@pytest.mark.parametrize("agency", ["ggd78", "sdis78"])
def test_another_agency_cannot_read_the_window_and_it_is_journaled(gateway, fresh, agency):
    op = gateway.op(agency)
    n = len(gateway.journal_entries())
    r = api(gateway, op, f"/api/grants/{fresh['grant']['id']}/window")
    assert r.status_code == 403 and r.json()["rule"] == "ACCESS-GRANT-AGENCY"
    assert entries(gateway, n, "window_refused", op)[0]["rule"] == "ACCESS-GRANT-AGENCY"


@pytest.mark.parametrize("path", ["/api/events", "/api/me", "/api/requisitions"])
def test_each_read_of_the_page_api_leaves_one_entry(gateway, fresh, path):
    op = gateway.op("dipn78", 1)  # nobody else's requests in these entries
    what = path.removeprefix("/api/")
    n = len(gateway.journal_entries())
    for _ in range(3):
        r = api(gateway, op, path)
        assert r.status_code == 200, r.text
    entries(gateway, n, f"{what}_read", op, want=3)
    time.sleep(0.3)
    read = entries(gateway, n, f"{what}_read", op, timeout=0)
    assert len(read) == 3, read
    assert all(e["decision"] == "allow" and e["actor"]["agency"] == "dipn78" for e in read)
    if what == "events":  # what was read: the grants listed, the fresh event's among them
        assert fresh["grant"]["id"] in read[-1]["grants"] and read[-1]["count"] >= 1
    if what == "me":
        assert read[-1]["cameras"] == len(r.json()["cameras"])


def test_an_administrator_reads_nothing_and_it_is_journaled(gateway):
    admin = "vigie-ops/admin-01"
    n = len(gateway.journal_entries())
    for path in ("/api/events", "/api/me"):
        r = api(gateway, admin, path)
        assert r.status_code == 403 and r.json()["rule"] == "ACCESS-ADMIN-NEVER"
    for what in ("events", "me"):
        assert entries(gateway, n, f"{what}_refused", admin)[0]["rule"] == "ACCESS-ADMIN-NEVER"


# -- 4. the cameras of an operator's forms -------------------------------------------------
def competent_cameras(gw, agency: str) -> set[str]:
    """The model's own reading (vigie.access_policy.competence, the plain-Python twin of the
    Cedar policy): a detector's event of some class, or, for a judicial police agency,
    a requisition the site's designee could approve."""
    inv, rep = gw.inv, f"{agency}/agency"
    judicial = inv.agencies[agency].kind in ("police_nationale", "gendarmerie")
    out = set()
    for site in inv.sites.values():
        for cam in site.cameras:
            camera = f"{site.id}/{cam.id}"
            reqs = [
                Request(rep, "view_clip", camera, Event("detector", cls))
                for cls in ("intrusion", "tamper", "fire")
            ]
            if judicial:
                approver = requisition_approver(inv, site)
                reqs.append(
                    Request(rep, "export", camera, Event("requisition"), approved_by=approver)
                )
            if any(decide(inv, q, representative=True).allowed for q in reqs):
                out.add(camera)
    return out


@pytest.mark.parametrize(
    "agency", ["pm-sartrouville", "sdis78", "cd78-supervision", "ggd78", "dipn78"]
)
def test_me_lists_only_the_cameras_the_agency_is_competent_for(gateway, fresh, agency):
    op = gateway.op(agency)
    granted = {f"{g['site']}/{g['camera']}" for g in gateway.grants(op)}
    r = api(gateway, op, "/api/me")
    assert r.status_code == 200, r.text
    listed = [c["camera"] for c in r.json()["cameras"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == competent_cameras(gateway, agency) | granted
    everything = {f"{s.id}/{c.id}" for s in gateway.inv.sites.values() for c in s.cameras}
    if agency in ("pm-sartrouville", "sdis78"):  # neither competent at the Versailles collège
        assert f"{SITE}/{COUR}" not in listed and set(listed) < everything
    if agency == "dipn78":
        assert f"{SITE}/{COUR}" in listed


# -- 5. the false-alarm rates ------------------------------------------------------------------
def test_rates_are_refused_to_administrators(gateway):
    cn = "vigie-ops/admin-01"  # an operator's certificate, of no agency
    n = len(gateway.journal_entries())
    r = api(gateway, cn, "/api/rates")
    assert r.status_code == 403 and r.json()["rule"] == "ACCESS-ADMIN-NEVER"
    refused = entries(gateway, n, "rates_refused", cn)
    assert refused and refused[0]["rule"] == "ACCESS-ADMIN-NEVER"


def test_rates_are_refused_to_alarm_sources(gateway):
    """The collège's alarm source's name is shaped like an operator's (`<site>/alarm-01`):
    its certificate says it is an alarm source's (OU), so it is no operator at all."""
    cn = f"{SITE}/alarm-01"
    n = len(gateway.journal_entries())
    assert api(gateway, cn, "/api/rates").status_code == 403
    end = time.monotonic() + 3
    while time.monotonic() < end:
        refused = [e for e in gateway.journal_entries()[n:] if e["action"] == "api_refused"]
        if refused:
            break
        time.sleep(0.05)
    assert refused[0]["rule"] == "ACCESS-CERT" and refused[0]["path"] == "/api/rates"
    assert "OU: alarm" in refused[0]["reason"]


@pytest.mark.parametrize("agency", ["dipn78", "cd78-supervision"])
def test_rates_are_read_by_operators_and_the_departements_supervision(gateway, agency):
    op = gateway.op(agency)
    n = len(gateway.journal_entries())
    r = api(gateway, op, "/api/rates")
    assert r.status_code == 200 and isinstance(r.json(), list)
    read = entries(gateway, n, "rates_read", op)
    assert read and read[0]["count"] == len(r.json())


def test_a_detectors_certificate_reads_nothing_and_it_is_journaled(gateway):
    """A certificate of the platform's CA naming no person (a detector host's): the
    API refuses it, and the refusal is journaled with the path it asked."""
    cn = DETECTOR
    n = len(gateway.journal_entries())
    for path in ("/api/rates", "/api/events", "/api/me"):
        assert api(gateway, cn, path).status_code == 403
    end = time.monotonic() + 3
    while time.monotonic() < end:
        refused = [e for e in gateway.journal_entries()[n:] if e["action"] == "api_refused"]
        if len(refused) >= 3:
            break
        time.sleep(0.05)
    assert [e["path"] for e in refused] == ["/api/rates", "/api/events", "/api/me"]
    assert all(e["rule"] == "ACCESS-CERT" and e["decision"] == "deny" for e in refused)
