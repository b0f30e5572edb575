"""The broker: TLS with client certificates only, the model's ACL (a detector
writes only its own cameras' topics; a building's alarm source only its own),
and what it refuses is visible in its log."""

from __future__ import annotations

import datetime as dt
import json
import time

import paho.mqtt.client as mqtt

from tests.gateway.services import SITE
from vigie import central


def test_plaintext_mqtt_is_refused(gateway):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="plain")
    try:
        rc = c.connect("127.0.0.1", gateway.mqtt_port, keepalive=5)
        c.loop(timeout=2)
        assert rc != 0 or not c.is_connected()
    except (TimeoutError, OSError, ConnectionError):
        pass  # the TLS listener drops the plaintext CONNECT


def test_detector_cannot_publish_for_another_sites_camera(gateway):
    """col-houdan's detector publishes for a Versailles camera: the broker drops it,
    no grant is made, and the broker's log shows the refusal."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10)
    c = gateway.mqtt_client("col-houdan-det1", v5=True)
    acked = []
    c.on_publish = lambda _c, _u, _mid, reason, _p: acked.append(reason)
    doc = {"site": SITE, "camera": "portail", "class": "intrusion", "kind": "person",
           "zone": None, "time": when.isoformat(timespec="milliseconds"), "score": 0.9,
           "snapshot": None}  # fmt: skip
    topic = central.event_topic(SITE, "portail")
    c.publish(topic, json.dumps(doc), qos=1).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()
    assert acked and acked[0].value == 0x87  # MQTT 5 PUBACK: not authorized
    time.sleep(1)
    op = gateway.op("dipn78")
    assert all(g["event_time"] != doc["time"] for g in gateway.grants(op))
    log = gateway.broker_log.read_text()
    assert "Denied PUBLISH from" in log and topic in log


def test_building_alarm_from_its_named_source_opens_its_cameras(gateway):
    feed = next(f for f in central.alarm_feeds(gateway.inv).values() if f.site == SITE)
    c = gateway.mqtt_client(feed.identity)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    stamp = when.isoformat(timespec="milliseconds")
    c.publish(central.alarm_topic(SITE, feed.source), json.dumps({"time": stamp}), qos=1)
    time.sleep(0.2)
    c.disconnect()
    c.loop_stop()
    op = gateway.op("dipn78")  # police: competent for an intrusion in Versailles
    grants = []
    end = time.monotonic() + 5
    while len(grants) < len(feed.cameras) and time.monotonic() < end:
        grants = [g for g in gateway.grants(op) if g["origin"] == f"alarm:{feed.identity}"]
        time.sleep(0.1)
    assert sorted(g["camera"] for g in grants) == sorted(feed.cameras)


def test_a_source_cannot_raise_another_sources_alarm(gateway):
    c = gateway.mqtt_client("col-houdan-det1", v5=True)
    acked = []
    c.on_publish = lambda _c, _u, _mid, reason, _p: acked.append(reason)
    c.publish(central.alarm_topic(SITE, "centrale-intrusion"), "{}", qos=1).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()
    assert acked and acked[0].value == 0x87


def test_an_event_delivered_twice_makes_one_grant_and_one_notification(gateway):
    got = []
    sub = gateway.mqtt_client(central.agency_identity("dipn78"))
    sub.on_message = lambda _c, _u, m: got.append(json.loads(m.payload))
    sub.subscribe(central.notification_topic("dipn78"), qos=1)
    time.sleep(0.3)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=15)
    for _ in range(2):  # a detector retrying after a lost PUBACK sends it again
        doc = gateway.publish_event(f"{SITE}-det1", SITE, "couloir-a", "intrusion", when)
    time.sleep(1.5)
    sub.disconnect()
    sub.loop_stop()
    assert len([n for n in got if n["time"] == doc["time"]]) == 1
    op = gateway.op("dipn78")
    assert len([g for g in gateway.grants(op) if g["event_time"] == doc["time"]]) == 1
