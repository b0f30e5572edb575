"""The service's MQTT side: TLS with its client certificate, a persistent session
(clean_session off, fixed client id, QoS 1), so events accepted by the broker
while the service is down are delivered when it comes back. A message is
acknowledged (manual PUBACK) only once its grants are stored; one that could not
be stored stays unacknowledged and is delivered again at the next connection."""

from __future__ import annotations

import datetime as dt
import json
import logging
import ssl
import threading

import paho.mqtt.client as mqtt

from vigie.central import ACCESS_SERVICE, TOPIC_PREFIX

log = logging.getLogger("vigie-access.mqtt")
EVENTS = f"{TOPIC_PREFIX}/+/+/events"
ALARMS = f"{TOPIC_PREFIX}/+/alarms/+"


class Bus:
    def __init__(self, cfg, on_event, feeds):
        self.cfg = cfg
        self.on_event = on_event  # (doc, origin, now) -> None
        self.feeds = feeds  # (site, source id) -> vigie.central.AlarmFeed
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
        if self._handle(msg):
            client.ack(msg.mid, msg.qos)

    def _handle(self, msg) -> bool:
        """True when the message is dealt with (stored, or not an event at all)."""
        now = dt.datetime.now(dt.UTC)
        parts = msg.topic.split("/")
        try:
            doc = json.loads(msg.payload)
        except ValueError:
            log.warning("not JSON on %s", msg.topic)
            return True
        if not isinstance(doc, dict):
            return True
        # The broker's ACL lets a detector write only its cameras' topics; the
        # payload must name the camera of its topic, or it could speak for another.
        docs, origin = [doc], "detector"
        if parts[-1] == "events":
            if (doc.get("site"), doc.get("camera")) != (parts[1], parts[2]):
                docs = [{**doc, "site": parts[1], "camera": "?mismatch"}]
        else:
            # Only the source named in the inventory may write this topic (ACL): its
            # alarm opens the cameras it covers, for its own class.
            feed = self.feeds.get((parts[1], parts[3]))
            if feed is None:
                return True
            origin = f"alarm:{feed.identity}"
            stamp = doc.get("time") or now.isoformat(timespec="milliseconds")
            docs = [
                {"site": feed.site, "camera": cam, "class": feed.cls, "kind": "alarm",
                 "time": stamp, "source": feed.source}
                for cam in feed.cameras
            ]  # fmt: skip
        for d in docs:
            try:
                self.on_event(d, origin, now)
            except Exception:  # not acknowledged: the broker delivers it again
                log.exception("event on %s not stored; left unacknowledged", msg.topic)
                return False
        return True
