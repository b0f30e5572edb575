"""An event is acknowledged to the broker only once its trace is on disk. Real
mosquitto (the model's ACL; its debug log says what it sent the service and which
PUBACKs came back) and vigie-access on loopback, without nginx: what is checked
is the broker, the journal and the store. A burst of QoS 1 events with the
service killed (-9) in the middle, then restarted; and the journal's disk full
(a real tmpfs), then writable again."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from tests.gateway.services import SITE, Gateway, need
from tests.gateway.test_journal_faults import (
    audit_verify,
    fill,
    journal_moved_to_tmpfs,
    unfill,
    until,
)
from vigie import central
from vigie_access.adapters import ModelPolicy
from vigie_access.core import event_id_of
from vigie_access.journal import read_entries

DETECTOR = f"{SITE}-det1"
SENT = re.compile(rf"Sending PUBLISH to {central.ACCESS_SERVICE} \(d(\d), q1, r0, m(\d+), ")
ACKED = re.compile(rf"Received PUBACK from {central.ACCESS_SERVICE} \(Mid: (\d+)")


@pytest.fixture
def bare(tmp_path):
    """The broker and the service only (the gateway's nginx is not needed here)."""
    need("mosquitto")
    gw = Gateway(tmp_path / "gw")
    try:
        gw._broker()
        gw._service()
        yield gw
    finally:
        gw.stop()


def cameras(gw) -> list[str]:
    """The detector's cameras, as the broker's ACL lets it write them."""
    user = next(u for u in central.broker_users(gw.inv) if u.name == DETECTOR)
    return [t.split("/")[2] for t in user.write if t.endswith("/events")]


def event(camera: str, when: dt.datetime) -> dict:
    return {
        "site": SITE,
        "camera": camera,
        "class": "intrusion",
        "kind": "person",
        "zone": None,
        "time": when.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "score": 0.9,
        "snapshot": None,
    }


def publish(gw, docs: list[dict]) -> None:
    """QoS 1 from the detector's identity, in order, each accepted by the broker."""
    c = gw.mqtt_client(DETECTOR)
    infos = [
        c.publish(central.event_topic(SITE, d["camera"]), json.dumps(d, sort_keys=True), qos=1)
        for d in docs
    ]
    for info in infos:
        info.wait_for_publish(10)
    c.disconnect()
    c.loop_stop()


class Notifications:
    """Each competent agency's identity on its own topic: (event, agency) -> count."""

    def __init__(self, gw, agencies):
        self.got: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        self.clients = []
        for a in agencies:
            c = gw.mqtt_client(central.agency_identity(a))
            c.on_message = lambda _c, _u, m, a=a: self._on(a, m.payload)
            c.subscribe(central.notification_topic(a), qos=1)
            self.clients.append(c)
        time.sleep(0.3)

    def _on(self, agency: str, payload: bytes) -> None:
        with self.lock:
            self.got[(json.loads(payload)["event"], agency)] += 1

    def close(self) -> None:
        for c in self.clients:
            c.disconnect()
            c.loop_stop()


def broker_log(gw, start: int = 0) -> tuple[list[tuple[int, int]], list[int]]:
    """From the broker's log: the messages sent to the service (dup flag, mid), in
    order, and the mids the service acknowledged."""
    text = gw.broker_log.read_text()[start:]
    return [(int(d), int(m)) for d, m in SENT.findall(text)], [int(m) for m in ACKED.findall(text)]


def traced(entries: list[dict]) -> set[tuple[str, str]]:
    """(event, agency) with a grant entry: created, or joined to an open grant."""
    return {
        (e["event"], e["actor"]["agency"])
        for e in entries
        if e["action"] in ("grant_created", "event_joined")
    }


def test_kill_9_in_a_burst_loses_no_acknowledged_trace(bare):
    gw = bare
    cams = cameras(gw)
    policy = ModelPolicy(gw.handover)
    competent = {c: {x.agency for x in policy.competent(SITE, c, "intrusion", "detector")}
                 for c in cams}  # fmt: skip
    notes = Notifications(gw, set().union(*competent.values()))
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    # Ten per camera (the publisher's burst), two seconds apart: none joins another.
    docs = [event(c, base + dt.timedelta(seconds=2 * i)) for i in range(10) for c in cams]
    svc = gw.procs["service"]
    try:
        threading.Thread(target=publish, args=(gw, docs), daemon=True).start()
        until(lambda: len(broker_log(gw)[1]) >= 5, 20, "the first acknowledgements")
        svc.p.send_signal(signal.SIGKILL)
        svc.p.wait()
        at_kill = len(gw.broker_log.read_text())
        on_disk = read_entries(gw.service_dir / "journal")
        sent, acked = broker_log(gw)
        # The broker sends the service one publisher's messages in their order.
        first = [m for dup, m in sent if dup == 0]
        doc_of = dict(zip(first, docs, strict=False))
        acked_docs = [doc_of[m] for m in acked]
        assert 0 < len(acked_docs) < len(docs), (len(acked_docs), len(docs))
        # Every message the broker saw acknowledged had its entries on disk already.
        have = traced(on_disk)
        for d in acked_docs:
            eid = event_id_of(d)
            missing = {(eid, a) for a in competent[d["camera"]]} - have
            assert not missing, f"acknowledged before its trace was durable: {missing}"
        svc.start()
        want = {(event_id_of(d), a) for d in docs for a in competent[d["camera"]]}
        until(lambda: want <= traced(read_entries(gw.service_dir / "journal")), 30, "all traces")
        until(lambda: want <= set(notes.got), 10, "every notification")
        until(lambda: len(broker_log(gw, at_kill)[1]) >= len(docs) - len(acked_docs), 10,
              "the rest acknowledged")  # fmt: skip
    finally:
        notes.close()
    svc.stop()  # a last checkpoint
    entries = read_entries(gw.service_dir / "journal")
    # Grants: exactly one per event and competent agency.
    db = sqlite3.connect(gw.service_dir / "access.sqlite")
    rows = collections.Counter(db.execute("SELECT event_id, agency FROM grants").fetchall())
    assert set(rows) == want and set(rows.values()) == {1}
    # Journal and notifications: at least once; a second time only when marked as
    # redelivered (the message came back after the kill, its first trace unsure).
    created = collections.Counter(
        (e["event"], e["actor"]["agency"], bool(e.get("redelivered")))
        for e in entries
        if e["action"] == "grant_created"
    )
    assert all(created[(eid, a, False)] <= 1 for eid, a in want)
    again = {(eid, a) for (eid, a, r) in created if r}
    assert {k for k, n in notes.got.items() if n > 1} <= again
    assert not [e for e in entries if e["action"] == "event_rejected"]
    r = audit_verify(gw.service_dir / "journal", gw.service_dir / "keys/journal.vkey")
    assert r.returncode == 0, r.stdout + r.stderr
    redelivered = [m for dup, m in broker_log(gw, at_kill)[0] if dup == 1]
    print(f"\n{len(docs)} events, {len(acked_docs)} acknowledged before the kill, "
          f"{len(redelivered)} redelivered after it, {len(again)} grants journaled and "
          f"notified again (marked redelivered)")  # fmt: skip


@pytest.fixture
def journal_on_tmpfs(bare, tmp_path):
    """The bare gateway's journal on a small tmpfs (service restarted on it)."""
    svc = bare.procs["service"]
    journal = journal_moved_to_tmpfs(bare, tmp_path, spare_kb=512)
    try:
        yield journal
    finally:
        svc.stop()
        subprocess.run(["umount", "-l", str(journal)], check=False)


def test_journal_down_nothing_acknowledged_then_all(bare, journal_on_tmpfs):
    gw, journal = bare, journal_on_tmpfs
    cams = cameras(gw)
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    fill(journal)
    # The files' last pages may still take an entry or two: until one is not
    # acknowledged, the disk is not full yet.
    probes, start = [], len(gw.broker_log.read_text())
    for i in range(10):
        d = event(cams[0], base + dt.timedelta(seconds=2 * i))
        probes.append(d)
        publish(gw, [d])
        time.sleep(2)
        if len(broker_log(gw, start)[1]) < len(probes):
            break
    else:
        raise AssertionError("every event acknowledged on a full disk")
    fill(journal)  # whatever a rollback freed
    mark = len(gw.broker_log.read_text())
    batch = [event(c, base + dt.timedelta(seconds=60 + 2 * i)) for i in range(2) for c in cams]
    publish(gw, batch)
    time.sleep(3)
    sent, acked = broker_log(gw, mark)
    assert len(sent) >= min(len(batch), 20) - len(probes)  # delivered (in-flight limit)
    assert acked == [], "acknowledged while the journal cannot write"
    log = (gw.service_dir / "log").read_text()
    assert "No space left on device" in log
    unfill(journal)
    everything = [*probes, *batch]
    until(lambda: len(broker_log(gw, start)[1]) >= len(everything), 20, "all acknowledged")
    entries = read_entries(journal)
    have = {e["event"] for e in entries if e["action"] == "grant_created"}
    assert {event_id_of(d) for d in everything} <= have
