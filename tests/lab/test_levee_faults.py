"""The levée de doute's refusals and faults in the lab, by real traffic:
what tests/gateway proves on loopback, now on the lab's hosts.

A real event first: camera `col-rameau-versailles-hall` is paused and its
detector raises `tamper/signal_loss` on the central broker (lab.levee). Its
competent operator's token, replayed with a colleague's certificate, is refused
(ACCESS-TOKEN-CERTIFICATE); a segment outside the window too (ACCESS-TOKEN-WINDOW),
and a genuine token past its lifetime (ACCESS-TOKEN-EXPIRED). Then the faults,
each undone in a `finally` so the tests after these are unaffected: the
recorder's segment server stopped (the operator is told which footage is
missing), the access service restarted (grants kept) and stopped (nginx fails
closed), mosquitto restarted after a detector's event was accepted (the event
is not lost). Last, the live view ends with the grant.

Two cases cannot wait for the clock: a token lives 300 s and a live view 15 min
(the pilot's `access:` settings, which the lab reads unchanged). The expired
token is minted with the service's own key (read from the central host, as its
administrator could) and an issue time 400 s ago, with a fresh token minted the
same way as the control; the short live window comes from an event the
detector delivers late (its `time` 14 min 20 s ago, published with the
detector host's own certificate through the broker's ACL, as a detector cut off
from the broker would send it), so the grant's live window ends 40 s later.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from lab import levee
from tests.lab.containers import segments, sh, tcp_connect
from tests.lab.levee_actors import client, journal, journaled, operator, publish_as_detector
from vigie import central
from vigie.access_policy.events import Event
from vigie.access_policy.policy import AccessPolicy
from vigie.access_policy.settings import site_settings
from vigie.access_policy.tokens import Grant as TokenGrant
from vigie.access_policy.tokens import TokenAuthority, fingerprint_of
from vigie_access.segments import parse_segment_path, segment_name

pytestmark = pytest.mark.docker

# Not the cameras test_levee_flow.py and `make lab` pause (one signal_loss per
# camera per detector cool-down).
CAMERA_HOST = "col-rameau-versailles-hall"
TOKEN_KEY = "/etc/vigie-access/keys/token.key"
SEGMENT_PORT = 8088
# Generous: the lab shares 2 cores with other jobs (load average 10-20).
READY_S = 120


# -- fixtures ------------------------------------------------------------------
@pytest.fixture(scope="module")
def cam(lab) -> dict:
    return next(c for c in lab["cameras"] if c["id"] == CAMERA_HOST)


@pytest.fixture(scope="module")
def competent(inv, cam) -> list[str]:
    """The policy's competent agencies for a tamper at this camera."""
    pairs = AccessPolicy.from_inventory(inv).competent_agencies(
        f"{cam['site']}/{levee.camera_id(cam)}", Event("detector", "tamper")
    )
    return sorted({agency for agency, _rule in pairs})


@pytest.fixture(scope="module")
def agency(inv, competent) -> str:
    """A competent agency with two operators (a colleague to replay a token with)."""
    two = [a for a in competent if len(inv.agencies[a].operators) >= 2]
    assert two, f"no competent agency of {competent} declares two operators"
    return two[0]


@pytest.fixture(scope="module")
def viewing(lab, workdir, inv, cam, agency) -> dict:
    """A real event (the paused camera's signal loss), its grant for `agency`, the
    window's playlist and one segment served (200: the control of each refusal)."""
    p = levee.provoke(lab, CAMERA_HOST, workdir)
    assert p.event is not None, f"no tamper event from {CAMERA_HOST} after pausing it"
    op = client(lab, workdir, operator(inv, agency))
    g = levee.grant_of(op, p)
    assert g is not None, f"{op.identity} sees no grant for the event"
    tok = token(op, g)
    pl = get(op, f"/hls/{g['id']}/index.m3u8", tok)
    assert pl.status_code == 200, pl.text
    segs = ts_lines(pl.text)
    assert segs, f"no segment in the window:\n{pl.text}"
    assert get(op, f"/hls/{g['id']}/{segs[-1]}", tok).status_code == 200
    return {"op": op, "grant": g, "token": tok, "segments": segs, "playlist": pl.text}


# -- helpers -------------------------------------------------------------------
def central_container(lab) -> str:
    return lab["central"][0]["container"]


def get(op, path: str, tok: str | None, timeout: float = 20):
    headers = {"Authorization": f"Bearer {tok}"} if tok else {}
    return op.session().get(f"{op.url}{path}", headers=headers, timeout=timeout)


def token(op, g: dict) -> str:
    r = op.session().post(f"{op.url}/api/grants/{g['id']}/token", timeout=20)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def ts_lines(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line.endswith(".ts")]


def segment_seconds(playlist: str) -> int:
    """The gateway's segment length (the recorder's): the playlist's target duration."""
    line = next(x for x in playlist.splitlines() if x.startswith("#EXT-X-TARGETDURATION:"))
    return int(line.partition(":")[2])


def ts(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


def poll(predicate, timeout: float, what: str, interval: float = 1.0):
    """predicate()'s first truthy value; AssertionError naming `what` after `timeout`."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            value = predicate()
        except Exception as exc:  # a service coming back answers errors meanwhile
            value, last = None, exc
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last error: {last!r})")


def systemctl(container: str, *args: str) -> str:
    return sh(container, "systemctl " + " ".join(args))


def active(container: str, unit: str) -> bool:
    return sh(container, f"systemctl is-active {unit}", check=False).strip() == "active"


def main_pid(container: str, unit: str) -> int:
    return int(sh(container, f"systemctl show -p MainPID --value {unit}").strip())


def service_ready(op) -> None:
    """vigie-access answers through nginx again (its socket is up)."""
    poll(
        lambda: op.session().get(f"{op.url}/api/events", timeout=10).status_code == 200,
        READY_S,
        "vigie-access answering through nginx",
    )


def restore_service(lab, op) -> None:
    if not active(central_container(lab), "vigie-access"):
        systemctl(central_container(lab), "start vigie-access")
    service_ready(op)


def grant_for(op, cam: dict, when: str) -> dict | None:
    r = op.session().get(f"{op.url}/api/events", timeout=10)
    r.raise_for_status()
    return next(
        (
            g
            for g in r.json()["grants"]
            if g["event_time"] == when and g["camera"] == levee.camera_id(cam)
        ),
        None,
    )


def detector_event(lab, cam: dict, kind: str, when: dt.datetime) -> dict:
    """A tamper event in the detector's own shape (vigie_detector.events), published
    from inside the detector container with its host's certificate; the broker
    must accept it (PUBACK reason 0)."""
    doc = {
        "site": cam["site"],
        "camera": levee.camera_id(cam),
        "class": "tamper",
        "kind": kind,
        "zone": None,
        "time": when.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "score": 1.0,
        "snapshot": None,
    }
    host = next(
        n
        for n, h in lab["hosts"].items()
        if h["kind"] == "detector_host" and h["site"] == cam["site"]
    )
    got = publish_as_detector(
        lab,
        host,
        central.event_topic(cam["site"], levee.camera_id(cam)),
        f"{host}-faults-test",
        json.dumps(doc, sort_keys=True),
    )
    assert got.get("reason") == 0, f"the broker did not accept the detector's event: {got}"
    return doc


def detectors_connected(lab) -> bool:
    """Every detector container's own health check passes (its MQTT session is up)."""
    for h in lab["hosts"].values():
        if h["kind"] != "detector_host":
            continue
        names = sh(h["container"], "docker ps --filter label=vigie.shard --format '{{.Names}}'")
        for name in names.split():
            out = sh(
                h["container"],
                f"docker exec {name} python3 -m vigie_detector healthcheck",
                check=False,
            )
            if not out.startswith("healthy"):
                return False
    return True


class Listeners:
    """Each agency's own identity subscribed to its own notification topic."""

    def __init__(self, lab, workdir, agencies: list[str]):
        self.got: dict[str, list[dict]] = {a: [] for a in agencies}
        self.clients = []
        for a in agencies:
            ident = levee.Client(lab, central.agency_identity(a), workdir)
            c = poll(lambda ident=ident, a=a: self._connect(ident, a), 60, f"{a} on the broker")
            self.clients.append(c)

    def _connect(self, ident, agency: str):
        c = ident.mqtt(lambda _c, _u, m: self.got[agency].append(json.loads(m.payload)))
        subscribed = threading.Event()
        c.on_subscribe = lambda *_: subscribed.set()
        c.subscribe(central.notification_topic(agency), qos=1)
        if not subscribed.wait(10):
            self._close(c)
            return None
        return c

    @staticmethod
    def _close(c) -> None:
        c.disconnect()
        c.loop_stop()

    def notified(self, cam: dict, when: str) -> set[str]:
        cid = levee.camera_id(cam)
        return {
            a
            for a, notes in self.got.items()
            if any(n.get("camera") == cid and n.get("time") == when for n in notes)
        }

    def close(self) -> None:
        for c in self.clients:
            self._close(c)


# -- refusals --------------------------------------------------------------------
def test_a_token_replayed_with_a_colleagues_certificate_is_refused(
    lab, workdir, inv, agency, viewing
):
    colleague = client(lab, workdir, operator(inv, agency, 1))
    assert colleague.identity != viewing["op"].identity
    g = viewing["grant"]
    n = len(journal(lab))
    for path in (f"/hls/{g['id']}/{viewing['segments'][-1]}", f"/hls/{g['id']}/index.m3u8"):
        r = get(colleague, path, viewing["token"])
        assert r.status_code == 403, (path, r.status_code)
    journaled(lab, "ACCESS-TOKEN-CERTIFICATE", colleague.identity, n)


def test_a_segment_outside_the_window_is_refused(lab, cam, viewing):
    """A real segment of the same camera from before the window when the recorder
    still has one, and names stamped before and after the window."""
    op, g = viewing["op"], viewing["grant"]
    seg_s = segment_seconds(viewing["playlist"])
    # The token covers a segment that starts up to one segment before the window.
    before = ts(g["window_start"]) - 2 * seg_s
    rec = next(h for n, h in lab["hosts"].items() if n == cam["recorder"])
    on_disk = segments(rec["container"], rec["storage_path"]).get(cam["id"], [])
    names = ["/".join(Path(path).parts[-3:]) for path, _size, _mtime in on_disk]
    real = [p for p in names if (s := parse_segment_path(p)) and s.start.timestamp() < before]
    early = dt.datetime.fromtimestamp(before - 600, dt.UTC)
    late = dt.datetime.fromtimestamp(ts(g["window_end"]) + 60, dt.UTC)
    outside = [segment_name(cam["id"], early), segment_name(cam["id"], late), *real[-1:]]
    print(f"outside the window: {outside} (a real one on the recorder: {bool(real)})")
    for path in outside:
        n = len(journal(lab))
        r = get(op, f"/hls/{g['id']}/{path}", viewing["token"])
        assert r.status_code == 403, (path, r.status_code)
        journaled(lab, "ACCESS-TOKEN-WINDOW", op.identity, n)


def test_an_expired_token_is_refused(lab, viewing):
    op, g = viewing["op"], viewing["grant"]
    key = sh(central_container(lab), f"cat {TOKEN_KEY}").strip().encode()
    der = x509.load_pem_x509_certificate(Path(op.cert).read_bytes()).public_bytes(Encoding.DER)
    seg_s = segment_seconds(viewing["playlist"])
    claims = TokenGrant(
        g["id"],
        g["agency"],
        (f"{g['site']}/{g['camera']}",),
        int(ts(g["window_start"]) - seg_s),
        int(ts(g["window_end"])),
        int(ts(g["live_until"])),
    )
    fresh = TokenAuthority(key).issue(op.identity, fingerprint_of(der), claims)
    old = TokenAuthority(key, clock=lambda: time.time() - 400).issue(
        op.identity, fingerprint_of(der), claims
    )
    seg = f"/hls/{g['id']}/{viewing['segments'][-1]}"
    # Control: minted the same way now, it is genuine (key, certificate, grant).
    assert get(op, seg, fresh).status_code == 200
    n = len(journal(lab))
    r = get(op, seg, old)
    assert r.status_code == 403, r.status_code
    journaled(lab, "ACCESS-TOKEN-EXPIRED", op.identity, n)


# -- faults ----------------------------------------------------------------------
def test_a_recorder_down_is_named_to_the_operator(lab, cam, viewing):
    op, g = viewing["op"], viewing["grant"]
    recorder = cam["recorder"]
    container = lab["hosts"][recorder]["container"]
    address = lab["hosts"][recorder]["addresses"]["recorders"]
    tok = token(op, g)
    systemctl(container, "stop nginx")
    try:
        w = op.session().get(f"{op.url}/api/grants/{g['id']}/window", timeout=20)
        assert w.status_code == 200, w.text
        missing = w.json()["missing"]
        assert missing and all(recorder in m and "unreachable" in m for m in missing), missing
        pl = get(op, f"/hls/{g['id']}/index.m3u8", tok)
        assert pl.status_code == 200 and f"# missing: {recorder} unreachable" in pl.text, pl.text
        print(f"recorder down: {missing}")
    finally:
        systemctl(container, "start nginx")
        poll(
            lambda: tcp_connect(central_container(lab), address, SEGMENT_PORT) == "open",
            READY_S,
            f"{recorder}'s segment server back",
        )
    w = op.session().get(f"{op.url}/api/grants/{g['id']}/window", timeout=20).json()
    assert w["missing"] == [] and w["segments"] > 0, w


def test_the_access_service_restarted_keeps_its_grants(lab, viewing):
    op, g = viewing["op"], viewing["grant"]
    container = central_container(lab)
    tok = token(op, g)
    seg = f"/hls/{g['id']}/{viewing['segments'][-1]}"
    before = main_pid(container, "vigie-access")
    systemctl(container, "restart vigie-access")
    try:
        service_ready(op)
        assert main_pid(container, "vigie-access") not in (0, before)
        r = op.session().get(f"{op.url}/api/events", timeout=20)
        after = next(x for x in r.json()["grants"] if x["id"] == g["id"])
        for k in ("event_time", "window_start", "window_end", "live_until", "agency", "camera"):
            assert after[k] == g[k], k
        # The token issued before the restart still plays the window (same key).
        pl = get(op, f"/hls/{g['id']}/index.m3u8", tok)
        assert pl.status_code == 200 and viewing["segments"][-1] in pl.text, pl.text
        assert get(op, seg, tok).status_code == 200
        assert get(op, seg, token(op, g)).status_code == 200
    finally:
        restore_service(lab, op)


def test_the_access_service_stopped_fails_closed(lab, viewing):
    op, g = viewing["op"], viewing["grant"]
    container = central_container(lab)
    tok = token(op, g)
    seg = f"/hls/{g['id']}/{viewing['segments'][-1]}"
    assert get(op, seg, tok).status_code == 200  # control
    systemctl(container, "stop vigie-access")
    try:
        assert not active(container, "vigie-access")
        for path in (seg, f"/hls/{g['id']}/index.m3u8"):
            r = get(op, path, tok)
            assert r.status_code >= 400 and r.status_code != 404, (path, r.status_code)
            assert not r.content.startswith(b"G"), path  # no MPEG-TS packet (sync byte 0x47)
            assert b"#EXTM3U" not in r.content, path
            print(f"service stopped: {path.rsplit('/', 1)[-1]} -> {r.status_code}")
    finally:
        restore_service(lab, op)
    assert get(op, seg, tok).status_code == 200


def test_an_accepted_event_survives_a_broker_restart(lab, workdir, inv, cam, competent):
    """The access service is down; the broker accepts (PUBACK) a detector's event
    for the service's persistent session; mosquitto is restarted; the service comes
    back and grants and notifies every competent agency: nothing was lost."""
    container = central_container(lab)
    op = client(lab, workdir, operator(inv, competent[0]))
    listeners = None
    systemctl(container, "stop vigie-access")
    try:
        doc = detector_event(lab, cam, "blinded", dt.datetime.now(dt.UTC))
        started = time.monotonic()
        systemctl(container, "restart mosquitto")
        assert active(container, "mosquitto")
        listeners = Listeners(lab, workdir, levee.agencies(lab))
        systemctl(container, "start vigie-access")
        got = poll(
            lambda: listeners.notified(cam, doc["time"]) >= set(competent) or None,
            READY_S,
            "the notifications of the event accepted before the broker restart",
        )
        print(f"broker restart: notified {sorted(listeners.notified(cam, doc['time']))} "
              f"{time.monotonic() - started:.1f} s after the restart")  # fmt: skip
        assert got
        assert listeners.notified(cam, doc["time"]) == set(competent)
        assert grant_for(op, cam, doc["time"]) is not None
    finally:
        if listeners:
            listeners.close()
        if not active(container, "mosquitto"):
            systemctl(container, "start mosquitto")
        restore_service(lab, op)
        poll(lambda: detectors_connected(lab), READY_S, "every detector back on the broker", 3)


def test_the_live_view_ends_within_one_segment(lab, workdir, inv, cam, agency):
    terms = site_settings(inv, inv.sites[cam["site"]])
    lead = 40
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=terms.live_view_min, seconds=-lead)
    doc = detector_event(lab, cam, "covered", when)
    op = client(lab, workdir, operator(inv, agency))
    g = poll(lambda: grant_for(op, cam, doc["time"]), 60, "the late event's grant")
    live_until = ts(g["live_until"])
    assert live_until - time.time() > 5, "the lab was too slow to see the live view open"
    tok = token(op, g)
    first = time.time()
    pl = get(op, f"/hls/{g['id']}/index.m3u8", tok)
    assert pl.status_code == 200, pl.text
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in pl.text and "#EXT-X-ENDLIST" not in pl.text, pl.text
    seg_s = segment_seconds(pl.text)
    seg = f"/hls/{g['id']}/{ts_lines(pl.text)[-1]}"
    assert get(op, seg, tok).status_code == 200
    window = f"/api/grants/{g['id']}/window"
    assert op.session().get(f"{op.url}{window}", timeout=20).json()["live"] is True
    served, refused, newest = [first], None, {ts_lines(pl.text)[-1]}
    while time.time() < live_until + 60:
        sent = time.time()
        r = get(op, f"/hls/{g['id']}/index.m3u8", tok)
        if r.status_code != 200:
            refused = (sent, r.status_code)
            break
        assert "#EXT-X-ENDLIST" not in r.text, r.text  # live while granted
        served.append(sent)
        newest.update(ts_lines(r.text)[-1:])
        time.sleep(0.5)
    assert refused is not None and refused[1] == 403, refused
    lag = refused[0] - live_until
    print(f"live view: last playlist sent {live_until - max(served):.1f} s before the end, "
          f"first refusal {lag:+.1f} s after it (segments of {seg_s} s; "
          f"{len(newest)} newest segments seen while live)")  # fmt: skip
    assert all(s < live_until for s in served)
    assert lag <= seg_s
    n = len(journal(lab))
    assert get(op, seg, tok).status_code == 403
    journaled(lab, "ACCESS-GRANT-EXPIRED", op.identity, n)
    # Once the live view is over, the grant's window is refused too (and journaled):
    # an export, with its four eyes, is the way to the footage.
    n = len(journal(lab))
    w = op.session().get(f"{op.url}{window}", timeout=20)
    assert w.status_code == 403 and w.json()["rule"] == "ACCESS-GRANT-EXPIRED", w.text
    entries = [e for e in journal(lab)[n:] if e.get("action") == "window_refused"]
    assert entries and entries[-1]["grant"] == g["id"], entries
