"""The service's MQTT side: TLS with its client certificate, a persistent session
(clean_session off, fixed client id, QoS 1), so events accepted by the broker
while the service is down are delivered when it comes back. A message is
acknowledged (manual PUBACK) once its grants are stored; one that could not be
stored stays unacknowledged and is delivered again at the next connection.

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
import ssl
import threading
import time

import paho.mqtt.client as mqtt

from vigie.central import (
    ACCESS_SERVICE,
    EVENT_BURST,
    EVENT_MAX_BYTES,
    EVENT_RATE_PER_MIN,
    TOPIC_PREFIX,
)
from vigie_access.core import Rejection, escape, event_problem
from vigie_access.metrics import EVENTS_REJECTED

log = logging.getLogger("vigie-access.mqtt")
EVENTS = f"{TOPIC_PREFIX}/+/+/events"
ALARMS = f"{TOPIC_PREFIX}/+/alarms/+"
MAX_DEPTH = 16  # nesting of a payload's JSON (an event is flat)


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


class Bus:
    def __init__(self, cfg, on_event, feeds):
        self.cfg = cfg
        self.on_event = on_event  # (doc, origin, now) -> None
        self.feeds = feeds  # (site, source id) -> vigie.central.AlarmFeed
        self.limit = RateLimit()
        self.connected = threading.Event()
        c = self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or ACCESS_SERVICE,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,  # acknowledged once stored; else redelivered at reconnect
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

    def start(self) -> None:
        self.client.connect_async(self.cfg.host, self.cfg.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, doc: dict) -> None:
        self.client.publish(topic, json.dumps(doc, sort_keys=True), qos=1)

    def _on_connect(self, client, _userdata, _flags, reason, _props) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        client.subscribe([(EVENTS, 1), (ALARMS, 1)])
        self.connected.set()

    def _on_message(self, client, _userdata, msg) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:  # the broker checks UTF-8; its raw bytes then
            topic = msg._topic
        if self.handle(topic, msg.payload):
            client.ack(msg.mid, msg.qos)

    def handle(self, topic, payload) -> bool:
        """True when the message is dealt with: its grants stored, or it is rejected
        (journaled, counted). False only when a valid event's grants could not be
        stored: left unacknowledged, the broker delivers it again. Never raises."""
        now = dt.datetime.now(dt.UTC)
        try:
            if isinstance(topic, bytes):
                topic = topic.decode("utf-8", "backslashreplace")
            payload = bytes(payload)
            got = parse_message(topic, payload, self.feeds, now)
            if not isinstance(got, Rejection) and not self.limit.allow(got[2]):
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
            except Exception:  # not acknowledged: the broker delivers it again
                log.exception("event on %s not stored; left unacknowledged", topic)
                return False
        return True

    def _reject(self, r: Rejection, now: dt.datetime) -> bool:
        EVENTS_REJECTED.labels(r.reason).inc()
        try:
            self.on_event(r, r.publisher, now)
        except Exception:  # acknowledged all the same: a rejection is never retried
            log.exception("rejection not journaled: %s %s on %r from %s (%d bytes: %s)",
                          r.reason, r.detail, r.topic, r.publisher, r.size, r.payload)  # fmt: skip
        else:
            log.warning("rejected %s on %r from %s: %s", r.reason, r.topic, r.publisher, r.detail)
        return True
