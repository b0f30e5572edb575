"""The service's MQTT side: TLS with its client certificate, a persistent session
(clean_session off, fixed client id, QoS 1), so events accepted by the broker
while the service is down are delivered when it comes back. A message is
acknowledged (manual PUBACK) once what it did is durable: its grants stored, its
notifications accepted by the broker and its journal entries on disk (the
journal's group commit: the acknowledgements wait in a thread of their own, so
the messages arriving meanwhile share the same fsync). While the journal cannot
write, nothing is acknowledged: the broker stops at its in-flight limit and
keeps the rest; all is acknowledged once the disk takes writes again. A message
that could not be handled (its grants not stored, its entry not taken) stays
unacknowledged and is tried again every RETRY_S; one that fails MAX_ATTEMPTS
times for another reason than a full journal is poison: rejected (journaled
`unprocessable`), counted (`vigie_access_events_abandoned_total`) and
acknowledged, so that it cannot hold an in-flight slot for ever.

Every other message is answered too: one that cannot be an event (not JSON, not
an object, a field of the wrong type, a `time` that does not parse or lies too
far from the service's clock, an alarm from no source of the model, a publisher
past its rate) is rejected: journaled `event_rejected` with the reason, topic,
publisher and the payload's first bytes, counted
(`vigie_access_events_rejected_total{reason}`) and acknowledged, so no message
can stall the queue behind it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt

from vigie.central import (
    ACCESS_SERVICE,
    EVENT_BURST,
    EVENT_MAX_BYTES,
    EVENT_RATE_PER_MIN,
    TOPIC_PREFIX,
)
from vigie_access.core import Rejection, escape, event_problem
from vigie_access.journal import JournalUnavailable
from vigie_access.metrics import EVENTS_ABANDONED, EVENTS_REJECTED

log = logging.getLogger("vigie-access.mqtt")
EVENTS = f"{TOPIC_PREFIX}/+/+/events"
ALARMS = f"{TOPIC_PREFIX}/+/alarms/+"
MAX_DEPTH = 16  # nesting of a payload's JSON (an event is flat)
RETRY_S = 1.0  # a message not handled is tried again this often; waits re-checked as often
MAX_ATTEMPTS = 5  # failures (a full journal's excepted) before a message is poison
STOP_DRAIN_S = 3.0  # at a stop, how long the acknowledgements due may still be sent


def _too_deep(value, limit: int) -> bool:
    """More than `limit` levels of objects and arrays (counted without recursion)."""
    todo = [value]
    for _ in range(limit):
        todo = [c for v in todo if isinstance(v, dict | list) for c in _children(v)]
    return any(isinstance(v, dict | list) for v in todo)


def _children(v):
    return v.values() if isinstance(v, dict) else v


def publisher_of(topic: str, feeds) -> str:
    """Who the broker's ACL lets write this topic: a camera's detector, or an alarm
    source of the model (MQTT 3.1.1 does not carry the publisher's identity)."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == TOPIC_PREFIX and parts[3] == "events":
        return f"detector:{parts[1]}/{parts[2]}"
    if len(parts) == 4 and parts[0] == TOPIC_PREFIX and parts[2] == "alarms":
        feed = feeds.get((parts[1], parts[3]))
        return f"alarm:{feed.identity}" if feed else f"alarm:?{parts[1]}/{parts[3]}"
    return "unknown"


def parse_message(topic: str, payload: bytes, feeds, now: dt.datetime):
    """A message as the events it raises, `(docs, origin, publisher)`, or the
    `Rejection` saying why it raises none. Never raises."""
    publisher = publisher_of(topic, feeds)

    def no(reason: str, detail: str) -> Rejection:
        return Rejection(reason, detail, topic, publisher, escape(payload), len(payload))

    parts = topic.split("/")
    if publisher == "unknown":
        return no("bad-topic", "neither a camera's events nor an alarm source's topic")
    if len(payload) > EVENT_MAX_BYTES:
        return no("too-large", f"{len(payload)} bytes, more than {EVENT_MAX_BYTES}")
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return no("not-json", "not a JSON text in UTF-8")
    if not isinstance(doc, dict):
        return no("not-object", f"a JSON {type(doc).__name__}, not an object")
    if _too_deep(doc, MAX_DEPTH):
        return no("bad-field", f"nested more than {MAX_DEPTH} levels")
    if parts[-1] == "events":
        # The broker's ACL lets a detector write only its cameras' topics; the
        # payload must name the camera of its topic, or it could speak for another
        # (refused by the core as an unknown camera, journaled).
        if (doc.get("site"), doc.get("camera")) != (parts[1], parts[2]):
            doc = {**doc, "site": parts[1], "camera": "?mismatch"}
        docs, origin = [doc], "detector"
    else:
        # Only the source named in the inventory may write this topic (ACL): its
        # alarm opens the cameras it covers, for its own class.
        feed = feeds.get((parts[1], parts[3]))
        if feed is None:
            return no("unknown-source", "no alarm source of the model writes this topic")
        origin = f"alarm:{feed.identity}"
        stamp = doc.get("time")
        if stamp is None:
            stamp = now.isoformat(timespec="milliseconds")
        docs = [
            {"site": feed.site, "camera": cam, "class": feed.cls, "kind": "alarm",
             "time": stamp, "source": feed.source}
            for cam in feed.cameras
        ]  # fmt: skip
    for d in docs:
        problem = event_problem(d, now)
        if problem is not None:
            return no(*problem)
    return docs, origin, publisher


class RateLimit:
    """A token bucket per publisher: `burst` events at once, `per_min` a minute."""

    def __init__(self, per_min: float = EVENT_RATE_PER_MIN, burst: float = EVENT_BURST, clock=None):
        self.rate, self.burst = per_min / 60.0, float(burst)
        self.clock = clock or time.monotonic
        self.buckets: dict[str, tuple[float, float]] = {}  # publisher -> (tokens, at)

    def allow(self, publisher: str) -> bool:
        t = self.clock()
        if len(self.buckets) > 4096:  # forget the publishers whose bucket is full again
            self.buckets = {
                k: (n, at)
                for k, (n, at) in self.buckets.items()
                if n + (t - at) * self.rate < self.burst
            }
        tokens, at = self.buckets.get(publisher, (self.burst, t))
        tokens = min(self.burst, tokens + (t - at) * self.rate)
        if tokens < 1:
            self.buckets[publisher] = (tokens, t)
            return False
        self.buckets[publisher] = (tokens - 1, t)
        return True


@dataclass
class Delivery:
    """A message received, waiting for its acknowledgement (or to be tried again)."""

    topic: str | bytes
    payload: bytes
    mid: int
    qos: int
    generation: int  # the connection it came on: its mid means nothing on another
    upto: int = 0  # the journal's entries to be on disk before the PUBACK
    sent: list = field(default_factory=list)  # its notifications (MQTTMessageInfo)
    failure: Exception | None = None
    attempts: int = 0
    limited: bool | None = None  # the rate limit's verdict, charged once, kept for retries
    due: float = 0.0


class Bus:
    def __init__(self, cfg, on_event, feeds, journal=None):
        self.cfg = cfg
        self.on_event = on_event  # (doc, origin, now) -> None
        self.feeds = feeds  # (site, source id) -> vigie.central.AlarmFeed
        self.journal = journal  # SharedJournal: a PUBACK waits for the entries on disk
        self.limit = RateLimit()
        self.connected = threading.Event()
        self._generation = 0
        self._handling = threading.Lock()  # the core is fed by one thread at a time
        self._local = threading.local()
        self._acks: queue.SimpleQueue = queue.SimpleQueue()  # Delivery, in arrival order
        self._retry: list[Delivery] = []
        self._waiting = 0  # received, not yet acknowledged nor given up to a reconnect
        self._count = threading.Lock()  # `_retry` and `_waiting`: two threads change them
        self._stop = threading.Event()
        self._acker = threading.Thread(target=self._ack_loop, name="mqtt-ack", daemon=True)
        c = self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or ACCESS_SERVICE,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,  # acknowledged once durable; else redelivered at reconnect
        )
        c.tls_set(
            ca_certs=cfg.ca_file,
            certfile=cfg.cert_file,
            keyfile=cfg.key_file,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        c.max_inflight_messages_set(100)
        c.reconnect_delay_set(1, 5)
        c.on_connect = self._on_connect
        c.on_disconnect = lambda *_: self.connected.clear()
        c.on_message = self._on_message

    @property
    def unacknowledged(self) -> int:
        """Messages received and not yet acknowledged (waiting for the disk, or retried)."""
        return self._waiting

    def start(self) -> None:
        self._acker.start()
        self.client.connect_async(self.cfg.host, self.cfg.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        end = time.monotonic() + STOP_DRAIN_S  # what is durable is acknowledged first
        while self._waiting > len(self._retry) and time.monotonic() < end:
            time.sleep(0.05)
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, doc: dict) -> None:
        info = self.client.publish(topic, json.dumps(doc, sort_keys=True), qos=1)
        sent = getattr(self._local, "sent", None)
        if sent is not None:
            sent.append(info)

    def _on_connect(self, client, _userdata, _flags, reason, _props) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        self._generation += 1  # what waited on the old connection comes again
        client.subscribe([(EVENTS, 1), (ALARMS, 1)])
        self.connected.set()

    def _on_message(self, client, _userdata, msg) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:  # the broker checks UTF-8; its raw bytes then
            topic = msg._topic
        d = Delivery(topic, bytes(msg.payload), msg.mid, msg.qos, self._generation)
        if self.journal is None:  # no group commit to wait for (tests of the core)
            if self.handle(topic, d.payload):
                client.ack(msg.mid, msg.qos)
            return
        with self._count:
            self._waiting += 1
        self._attempt(d)

    # -- acknowledgements ---------------------------------------------------------------
    def _attempt(self, d: Delivery) -> None:
        """Handle a message (from the network thread, or again from the acker's)."""
        self._local.sent = d.sent = []
        try:
            with self._handling:
                d.failure = self._handle(d.topic, d.payload, d)
                if d.failure is not None and not isinstance(d.failure, JournalUnavailable):
                    d.attempts += 1
                    if d.attempts >= MAX_ATTEMPTS:
                        d.failure = self._abandon(d)
                d.upto = self.journal.appended_seq
        finally:
            self._local.sent = None
        if d.failure is None:
            self._acks.put(d)
        else:
            d.due = time.monotonic() + RETRY_S
            with self._count:
                self._retry.append(d)

    def _abandon(self, d: Delivery) -> Exception | None:
        """A poison message: rejected (journaled) and acknowledged once durable."""
        reason = type(d.failure).__name__
        EVENTS_ABANDONED.labels(reason).inc()
        log.error("message on %r failed %d times (%s): rejected as unprocessable",
                  d.topic, d.attempts, d.failure)  # fmt: skip
        topic = d.topic if isinstance(d.topic, str) else d.topic.decode("utf-8", "replace")
        detail = f"{d.attempts} attempts failed: {reason}"
        publisher = publisher_of(topic, self.feeds)
        r = Rejection("unprocessable", detail, topic, publisher, escape(d.payload), len(d.payload))
        try:
            self.on_event(r, r.publisher, dt.datetime.now(dt.UTC))
        except JournalUnavailable as exc:
            return exc  # its trace first: tried again, not counted
        except Exception:
            log.exception("poison message not journaled; acknowledged all the same")
        return None

    def _ack_loop(self) -> None:
        while not self._stop.is_set():
            try:
                d = self._acks.get(timeout=RETRY_S)
            except queue.Empty:
                d = None
            if d is not None:
                if self._durable(d) and d.generation == self._generation:
                    self.client.ack(d.mid, d.qos)
                self._settled()
            self._retry_due()

    def _settled(self) -> None:
        with self._count:
            self._waiting -= 1

    def _durable(self, d: Delivery) -> bool:
        """Wait until the message's entries are on disk (however long the journal is
        down) and the broker took its notifications. False: its connection is gone
        (the broker delivers it again) or the service stops."""
        while not self.journal.wait_written(d.upto, RETRY_S):
            if self._stop.is_set() or d.generation != self._generation:
                return False
        for info in d.sent:
            try:
                while not info.is_published():
                    if self._stop.is_set() or d.generation != self._generation:
                        return False
                    info.wait_for_publish(RETRY_S)
            except (RuntimeError, ValueError):  # not queued: delivered again, sent again
                return False
        return True

    def _retry_due(self) -> None:
        now = time.monotonic()
        with self._count:
            due = [d for d in self._retry if d.due <= now]
            self._retry = [d for d in self._retry if d.due > now]
        for d in due:
            if d.generation == self._generation and not self._stop.is_set():
                self._attempt(d)
            else:  # its connection is gone: the broker delivers it again
                self._settled()

    # -- reading -----------------------------------------------------------------------
    def handle(self, topic, payload) -> bool:
        """True when the message is dealt with: its grants stored, or it is rejected
        (journaled, counted). False when a valid event's grants could not be stored, or
        a rejection could not be journaled. Never raises."""
        return self._handle(topic, payload) is None

    def _handle(self, topic, payload, d: Delivery | None = None) -> Exception | None:
        """None when dealt with, else what stopped it. A delivery tried again keeps
        its first rate-limit verdict (a retry is not a new event from its publisher)."""
        now = dt.datetime.now(dt.UTC)
        try:
            if isinstance(topic, bytes):
                topic = topic.decode("utf-8", "backslashreplace")
            payload = bytes(payload)
            got = parse_message(topic, payload, self.feeds, now)
            limited = d.limited if d is not None else None
            if limited is None and not isinstance(got, Rejection):
                limited = not self.limit.allow(got[2])
                if d is not None:
                    d.limited = limited
            if not isinstance(got, Rejection) and limited:
                got = Rejection(
                    "rate-limit",
                    f"more than {EVENT_RATE_PER_MIN} events a minute from this publisher",
                    topic,
                    got[2],
                    escape(payload),
                    len(payload),
                )
        except Exception as exc:  # a reader's bug must not stall the queue either
            log.exception("message on %r unreadable", topic)
            got = Rejection("unreadable", type(exc).__name__, str(topic), "unknown", "", 0)
        if isinstance(got, Rejection):
            return self._reject(got, now)
        docs, origin, _publisher = got
        for d in docs:
            try:
                self.on_event(d, origin, now)
            except Exception as exc:  # not acknowledged: tried again
                log.exception("event on %s not stored; left unacknowledged", topic)
                return exc
        return None

    def _reject(self, r: Rejection, now: dt.datetime) -> Exception | None:
        EVENTS_REJECTED.labels(r.reason).inc()
        try:
            self.on_event(r, r.publisher, now)
        except Exception as exc:  # no trace yet: not acknowledged, tried again
            log.exception("rejection not journaled, left unacknowledged: %s %s on %r from %s "
                          "(%d bytes: %s)", r.reason, r.detail, r.topic, r.publisher, r.size,
                          r.payload)  # fmt: skip
            return exc
        log.warning("rejected %s on %r from %s: %s", r.reason, r.topic, r.publisher, r.detail)
        return None
