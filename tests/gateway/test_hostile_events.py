"""Hostile or broken detectors, by real traffic on loopback: a thousand poison
messages do not stall the events behind them and each one is journaled; events
dated far from the service's clock open nothing; a detector repeating itself on
one camera opens one grant and one notification per agency. Then the bus's
readers fuzzed directly (arbitrary bytes and JSON): never an exception, every
message either accepted or rejected with a reason.

The broker tests use `couloir-b`, a camera no other test's detector writes, so
the per-camera rate limit they exhaust touches nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
import threading
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.services import SITE
from vigie import central
from vigie_access.core import Rejection, event_id_of
from vigie_access.mqtt import Bus, RateLimit, parse_message

CAMERA = "couloir-b"
TOPIC = central.event_topic(SITE, CAMERA)
COMPETENT = {"dipn78", "cd78-supervision"}  # police in Versailles; the département's collège
REASONS = {
    "not-json",
    "not-object",
    "too-large",
    "bad-field",
    "bad-time",
    "time-skew",
    "rate-limit",
    "unknown-source",
    "bad-topic",
    "unreadable",
}


def stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def detector_of(gw, topic: str) -> str:
    """The detector host the model's ACL lets write this topic."""
    return next(u.name for u in central.broker_users(gw.inv) if topic in u.write)


class Listeners:
    """Each competent agency's MQTT identity on its own notification topic."""

    def __init__(self, gw, agencies):
        self.got: dict[str, list[tuple[float, dict]]] = {a: [] for a in agencies}
        self.lock = threading.Lock()
        self.clients = []
        for a in agencies:
            c = gw.mqtt_client(central.agency_identity(a))
            c.on_message = lambda _c, _u, m, a=a: self._add(a, json.loads(m.payload))
            c.subscribe(central.notification_topic(a), qos=1)
            self.clients.append(c)
        time.sleep(0.3)

    def _add(self, agency: str, note: dict) -> None:
        with self.lock:
            self.got[agency].append((time.monotonic(), note))

    def notes(self, agency: str, times) -> list[tuple[float, dict]]:
        with self.lock:
            return [(t, n) for t, n in self.got[agency] if n["time"] in times]

    def close(self) -> None:
        for c in self.clients:
            c.disconnect()
            c.loop_stop()


def rejected(gw, topic: str) -> list[dict]:
    return [
        e
        for e in gw.journal_entries()
        if e["action"] == "event_rejected" and e.get("topic") == topic
    ]


def poll(check, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{what} not seen within {timeout} s")


def poison(i: int, now: dt.datetime) -> bytes:
    """The i-th poison message, its marker within its first bytes."""
    marker = f"poison-{i:04d}"
    base = {"note": marker, "site": SITE, "camera": CAMERA, "kind": "person"}
    match i % 5:
        case 0:  # a time that does not parse (the message that stalled the queue)
            return json.dumps({**base, "class": "intrusion", "time": f"demain {marker}"}).encode()
        case 1:  # not JSON, not even UTF-8
            return b"\xff\xfe" + marker.encode() + b"\x00\x01{not json"
        case 2:  # wrong types
            return json.dumps({**base, "class": ["intrusion"], "time": stamp(now)}).encode()
        case 3:  # JSON, not an object
            return json.dumps([marker, 1, None]).encode()
        case _:
            if i % 100 == 4:  # huge
                return json.dumps({**base, "pad": "x" * 300_000}).encode()
            return json.dumps({**base, "class": "intrusion", "time": 1e308}).encode()


def test_a_thousand_poison_messages_stall_nothing_and_are_each_journaled(gateway):
    det = detector_of(gateway, TOPIC)
    now = dt.datetime.now(dt.UTC)
    listeners = Listeners(gateway, COMPETENT)
    try:
        c = gateway.mqtt_client(det)
        infos = [c.publish(TOPIC, poison(i, now), qos=1) for i in range(1000)]
        for info in infos:
            info.wait_for_publish(30)
        c.disconnect()
        c.loop_stop()
        # A genuine event of the same detector, same camera, behind the thousand.
        sent = time.monotonic()
        doc = gateway.publish_event(det, SITE, CAMERA, "intrusion", dt.datetime.now(dt.UTC))
        poll(
            lambda: all(listeners.notes(a, {doc["time"]}) for a in COMPETENT),
            10,
            "the genuine event's notifications",
        )
        for a in COMPETENT:
            (at, _note), *more = listeners.notes(a, {doc["time"]})
            assert not more
            print(f"{a} notified {at - sent:.3f} s after the genuine event was sent")
            assert at - sent <= 1.0
    finally:
        listeners.close()
    entries = poll(
        lambda: (e := rejected(gateway, TOPIC)) and len(e) >= 1000 and e,
        10,
        "a thousand event_rejected entries",
    )
    markers = {m for e in entries for m in re.findall(r"poison-\d{4}", e["payload"])}
    assert markers == {f"poison-{i:04d}" for i in range(1000)}
    assert {e["reason"] for e in entries} == {
        "bad-time",
        "not-json",
        "bad-field",
        "not-object",
        "too-large",
    }
    for e in entries:
        assert e["decision"] == "deny" and e["publisher"] == f"detector:{SITE}/{CAMERA}"
        assert len(e["payload"]) <= 4 * 256 and e["size"] > 0
        assert all(0x20 <= ord(ch) < 0x7F for ch in e["payload"])  # escaped
    text = requests.get(f"http://127.0.0.1:{gateway.metrics_port}/metrics", timeout=5).text
    count = re.search(r'vigie_access_events_rejected_total\{reason="not-json"\} (\S+)', text)
    assert count and float(count[1]) >= 200


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        dt.datetime(2099, 6, 1, 12, tzinfo=dt.UTC),
        dt.datetime.now(dt.UTC) - dt.timedelta(days=2),
    ],
    ids=["tomorrow", "2099", "two-days-ago"],
)
def test_an_event_far_from_the_services_clock_opens_nothing(gateway, when):
    det = detector_of(gateway, TOPIC)
    doc = gateway.publish_event(det, SITE, CAMERA, "intrusion", when)
    entry = poll(
        lambda: [e for e in rejected(gateway, TOPIC) if doc["time"] in e["payload"]],
        10,
        "the event_rejected entry",
    )
    assert [e["reason"] for e in entry] == ["time-skew"]
    for a in COMPETENT:
        assert all(g["event_time"] != doc["time"] for g in gateway.grants(gateway.op(a)))


def test_a_detector_repeating_itself_opens_one_grant_and_one_notification(gateway):
    """Twenty events on one camera at once, dated half a second apart: the first
    opens the competent agencies' grants and notifies them, the next join those
    grants (journaled, no new notification), those past the publisher's rate are
    rejected (journaled)."""
    det = detector_of(gateway, TOPIC)
    listeners = Listeners(gateway, COMPETENT)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    docs = [
        {
            "site": SITE,
            "camera": CAMERA,
            "class": "intrusion",
            "kind": "loitering",
            "zone": None,
            "time": stamp(start + dt.timedelta(seconds=i / 2)),
            "score": 0.9,
            "snapshot": None,
        }
        for i in range(20)
    ]
    times = {d["time"] for d in docs}
    try:
        c = gateway.mqtt_client(det)
        for info in [c.publish(TOPIC, json.dumps(d), qos=1) for d in docs]:
            info.wait_for_publish(5)
        c.disconnect()
        c.loop_stop()
        poll(lambda: all(listeners.notes(a, times) for a in COMPETENT), 5, "the notifications")
        time.sleep(1.5)  # every other notification would have arrived by now
        for a in COMPETENT:
            assert len(listeners.notes(a, times)) == 1, a
    finally:
        listeners.close()
    for a in COMPETENT:
        mine = [g for g in gateway.grants(gateway.op(a)) if g["event_time"] in times]
        assert len(mine) == 1 and mine[0]["open"], (a, mine)
        assert mine[0]["event_time"] == docs[0]["time"]
    entries = gateway.journal_entries()
    joined = [
        e
        for e in entries
        if e["action"] == "event_joined" and e.get("camera") == f"{SITE}/{CAMERA}"
    ]
    limited = [
        e
        for e in rejected(gateway, TOPIC)
        if e["reason"] == "rate-limit" and "loitering" in e["payload"]
    ]
    assert limited, "the publisher's rate was not limited"
    # Every event accepted joined the first one's grants, for each agency.
    assert len(joined) == len(COMPETENT) * (20 - len(limited) - 1)


# -- the bus's readers, fuzzed directly (no broker) --------------------------------------


def make_bus(feeds=None):
    """A Bus without its MQTT client: its reader and its handler only."""
    seen: list = []
    bus = Bus.__new__(Bus)
    bus.feeds = feeds or {}
    bus.limit = RateLimit(per_min=1e9, burst=1e9)
    bus.on_event = lambda doc, origin, now: seen.append((doc, origin))
    return bus, seen


FEED = central.AlarmFeed(SITE, "centrale", f"{SITE}/alarm-01", "intrusion", ("couloir-a",))
TOPICS = [TOPIC, central.alarm_topic(SITE, "centrale"), central.alarm_topic(SITE, "nobody")]


def check_answer(bus, seen, topic, payload) -> None:
    """The handler answers (True: acknowledged) and said exactly one thing: a
    Rejection with a known reason, or events of the right shape."""
    seen.clear()
    assert bus.handle(topic, payload) is True
    assert seen, "neither accepted nor rejected"
    if isinstance(seen[0][0], Rejection):
        assert len(seen) == 1 and seen[0][0].reason in REASONS and seen[0][0].detail
        r = seen[0][0]
        text = topic.decode("utf-8", "backslashreplace") if isinstance(topic, bytes) else topic
        assert r.topic == text and len(r.payload) <= 4 * 256
        return
    for doc, origin in seen:
        assert isinstance(doc, dict) and origin in {"detector", f"alarm:{FEED.identity}"}
        assert all(isinstance(doc[k], str) for k in ("site", "camera", "class", "time"))


def json_values(rng: random.Random, depth: int = 0):
    """An arbitrary JSON value, often close to an event."""
    pick = rng.randrange(9 if depth < 4 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False, 0, -1, 2**70, 1e308, -0.0, float("nan")])
    if pick == 2:
        return rng.choice(["", "intrusion", "2099-01-01T00:00:00Z", "\x00\ud800", "x" * 300])
    if pick == 3:
        delta = dt.timedelta(seconds=rng.uniform(-4e5, 4e5))
        return stamp(dt.datetime.now(dt.UTC) + delta)
    if pick == 4:
        return rng.choice([SITE, CAMERA, "couloir-a", "tamper", "fire", "person"])
    if pick == 5:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(8)))
    if pick == 6:
        return [json_values(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["site", "camera", "class", "kind", "time", "zone", "snapshot", "score", "x"]
    return {rng.choice(keys): json_values(rng, depth + 1) for _ in range(rng.randrange(8))}


def test_the_readers_answer_every_payload_seeded():
    """Five thousand arbitrary payloads (a seeded generator: runs without hypothesis)."""
    rng = random.Random(20261207)
    bus, seen = make_bus({(SITE, "centrale"): FEED})
    for _ in range(5000):
        topic = rng.choice(TOPICS)
        if rng.random() < 0.2:
            payload = rng.randbytes(rng.randrange(64))
        else:
            value = json_values(rng)
            if rng.random() < 0.5:
                value = {
                    "site": SITE,
                    "camera": CAMERA,
                    "class": "intrusion",
                    "time": stamp(dt.datetime.now(dt.UTC)),
                    **(value if isinstance(value, dict) else {"x": value}),
                }
            payload = json.dumps(value).encode("utf-8", "surrogatepass")
        check_answer(bus, seen, topic, payload)


def test_deep_huge_and_odd_payloads_are_rejected_with_a_reason():
    bus, seen = make_bus({(SITE, "centrale"): FEED})
    now = stamp(dt.datetime.now(dt.UTC))
    for payload in [
        b"[" * 100_000,
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"site": SITE, "camera": CAMERA, "class": "fire", "time": now, "z": 1})[
            :-1
        ].encode()
        + b',"d":'
        + b"[" * 3000
        + b"]" * 3000
        + b"}",
        b"1" * 5000,
        b"",
        "é".encode("latin-1"),
        json.dumps({"time": "0001-01-01T00:00:00+01:00"}).encode(),
        json.dumps({"time": "9999-12-31T23:59:59-01:00"}).encode(),
        json.dumps({"time": "2026-12-07T00:00:00"}).encode(),  # no offset
    ]:
        for topic in TOPICS:
            check_answer(bus, seen, topic, payload)
    check_answer(bus, seen, b"vigie/\xff/x/events", b"{}")
    check_answer(bus, seen, "not/a/vigie/topic", b"{}")


def test_a_bug_in_the_event_path_is_not_a_rejection_but_an_unacknowledged_message():
    """Only a valid event whose grants could not be stored stays unacknowledged."""
    bus, _seen = make_bus()

    def failing(doc, origin, now):
        if not isinstance(doc, Rejection):
            raise OSError("disk full")

    bus.on_event = failing
    doc = {
        "site": SITE,
        "camera": CAMERA,
        "class": "intrusion",
        "time": stamp(dt.datetime.now(dt.UTC)),
    }
    assert bus.handle(TOPIC, json.dumps(doc).encode()) is False
    assert bus.handle(TOPIC, b"not json") is True


def test_the_rate_limit_is_a_token_bucket_per_publisher():
    clock = [0.0]
    limit = RateLimit(per_min=10, burst=10, clock=lambda: clock[0])
    assert sum(limit.allow("a") for _ in range(20)) == 10
    assert limit.allow("b")  # another publisher is not affected
    clock[0] += 6.0  # one event's worth of refill
    assert limit.allow("a") and not limit.allow("a")


def test_parse_message_never_raises_on_the_alarm_topic():
    now = dt.datetime.now(dt.UTC)
    feeds = {(SITE, "centrale"): FEED}
    got = parse_message(central.alarm_topic(SITE, "centrale"), b"{}", feeds, now)
    assert not isinstance(got, Rejection) and got[1] == f"alarm:{FEED.identity}"
    got = parse_message(central.alarm_topic(SITE, "centrale"), b'{"time": 3}', feeds, now)
    assert isinstance(got, Rejection) and got.reason == "bad-time"
    later = stamp(now + dt.timedelta(hours=1))
    got = parse_message(
        central.alarm_topic(SITE, "centrale"), json.dumps({"time": later}).encode(), feeds, now
    )
    assert isinstance(got, Rejection) and got.reason == "time-skew"


def test_the_bus_and_the_core_answer_every_payload_seeded(core):
    """The bus's handler wired to a real core: acknowledged, and journaled (an
    event delivered again excepted), whatever the payload."""
    rng = random.Random(11)
    bus, _seen = make_bus({(SITE, "centrale"): FEED})
    bus.on_event = core.on_event
    for _ in range(1000):
        value = json_values(rng)
        if rng.random() < 0.6:
            value = {
                **event_doc(dt.datetime.now(dt.UTC)),
                **(value if isinstance(value, dict) else {}),
            }
        payload = json.dumps(value).encode() if rng.random() < 0.9 else rng.randbytes(40)
        n = len(core.journal.entries)
        known = isinstance(value, dict) and core.store.event(event_id_of(value)) is not None
        assert bus.handle(rng.choice(TOPICS), payload) is True
        assert len(core.journal.entries) > n or known


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids),
    max_leaves=20,
)
EVENTISH = st.fixed_dictionaries(
    {},
    optional={
        "site": st.sampled_from([SITE, "x"]) | JSON,
        "camera": st.sampled_from([CAMERA, "couloir-a"]) | JSON,
        "class": st.sampled_from(["intrusion", "tamper", "fire", "x"]) | JSON,
        "kind": st.sampled_from(["person", None]) | JSON,
        "time": st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()) | JSON,
    },
)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(topic=st.sampled_from(TOPICS), payload=st.binary(max_size=512))
def test_hypothesis_arbitrary_bytes(topic, payload):
    bus, seen = make_bus({(SITE, "centrale"): FEED})
    check_answer(bus, seen, topic, payload)


@FUZZ
@given(topic=st.sampled_from(TOPICS), value=JSON | EVENTISH)
def test_hypothesis_arbitrary_json(topic, value):
    bus, seen = make_bus({(SITE, "centrale"): FEED})
    check_answer(bus, seen, topic, json.dumps(value).encode("utf-8", "surrogatepass"))


# -- the core's side: a real AccessCore on the pilot's model, a list for a journal ----------


def event_doc(t: dt.datetime, kind: str = "person", camera: str = CAMERA) -> dict:
    return {"site": SITE, "camera": camera, "class": "intrusion", "kind": kind, "time": stamp(t)}


def test_the_core_joins_a_repeat_within_the_join_time_only(core):
    now = dt.datetime.now(dt.UTC)
    first = core.on_event(event_doc(now - dt.timedelta(seconds=10)), "detector", now)
    assert {g.agency for g in first} >= COMPETENT
    # 0.5 s later, dated 0.5 s later, the same camera, class and kind: joins, extends
    # the window, notifies nobody.
    later = now + dt.timedelta(seconds=0.5)
    doc = event_doc(now - dt.timedelta(seconds=9.5))
    again = core.on_event(doc, "detector", later)
    assert [g.id for g in again] == [g.id for g in first]
    assert all(b.window_end > a.window_end for a, b in zip(first, again, strict=True))
    assert len(core.notes) == len(first)
    joins = [e for e in core.journal.entries if e["action"] == "event_joined"]
    assert len(joins) == len(first) and all(e["grant"] for e in joins)
    # The same event delivered again (unacknowledged before a crash): the same grants.
    replay = core.on_event(doc, "detector", later + dt.timedelta(seconds=30))
    assert [g.id for g in replay] == [g.id for g in first] and len(core.notes) == len(first)
    # Another kind; the same kind dated 5 s later; the same kind 2 s after the last
    # one's arrival: grants of their own, notified.
    cases = [
        (event_doc(now - dt.timedelta(seconds=9.5), "loitering"), later),
        (event_doc(now - dt.timedelta(seconds=4.5)), later + dt.timedelta(seconds=0.1)),
        (event_doc(now - dt.timedelta(seconds=4.4)), later + dt.timedelta(seconds=2.1)),
    ]
    for doc, at in cases:
        own = core.on_event(doc, "detector", at)
        assert not {g.id for g in own} & {g.id for g in first}
    assert len(core.notes) == 4 * len(first)


def test_the_core_never_extends_a_joined_grant_past_the_policys_terms(core):
    real = core.policy.terms(SITE)
    terms = dataclasses.replace(
        real,
        after=dt.timedelta(seconds=10),
        live=dt.timedelta(seconds=12),
        extension=dt.timedelta(seconds=5),
    )
    core.policy.terms = lambda _site: terms
    now = dt.datetime.now(dt.UTC)
    first = core.on_event(event_doc(now), "detector", now)
    t = now
    for _ in range(40):  # a chain of repeats, each within the join time of the last
        t += dt.timedelta(seconds=0.9)
        core.on_event(event_doc(t), "detector", t)
    for g0 in first:
        g = core.store.grant(g0.id)
        assert g.live_until == g0.event_time + terms.live + terms.extension
        assert g.window_end == g0.event_time + terms.after + terms.extension
        assert g.extension_reason is None  # the operator's one extension is still there
    # Past the live view, the next repeat opens (and notifies) a grant of its own.
    assert len(core.notes) > len(first)
    assert not any(
        g.id in {g0.id for g0 in first}
        for g in core.on_event(event_doc(t), "detector", t + dt.timedelta(seconds=0.5))
    )


def test_the_core_rejects_what_the_bus_would(core):
    now = dt.datetime.now(dt.UTC)
    for doc in [
        event_doc(now + dt.timedelta(days=1)),
        event_doc(dt.datetime(2099, 1, 1, tzinfo=dt.UTC)),
        {**event_doc(now), "time": 12},
        {**event_doc(now), "class": {"a": 1}},
        [1, 2],
    ]:
        assert core.on_event(doc, "detector", now) == []
    reasons = [e["reason"] for e in core.journal.entries if e["action"] == "event_rejected"]
    assert reasons == ["time-skew", "time-skew", "bad-time", "bad-field", "not-object"]
    assert core.store.grants() == [] and core.notes == []


def test_the_core_answers_every_document_seeded(core):
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    for _ in range(1000):
        value = json_values(rng)
        if rng.random() < 0.7:
            value = {**event_doc(now), **(value if isinstance(value, dict) else {"x": value})}
        n = len(core.journal.entries)
        known = isinstance(value, dict) and core.store.event(event_id_of(value)) is not None
        core.on_event(value, "detector", now)
        # Every document leaves a journal entry, but an event delivered again.
        assert len(core.journal.entries) > n or known


@FUZZ
@given(value=JSON | EVENTISH)
def test_hypothesis_the_core_answers_any_document(core, value):
    n = len(core.journal.entries)
    known = isinstance(value, dict) and core.store.event(event_id_of(value)) is not None
    core.on_event(value, "detector", dt.datetime.now(dt.UTC))
    assert len(core.journal.entries) > n or known
