"""`run`: one process, many cameras; events and health to MQTT, metrics to Prometheus."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import queue
import signal
import threading
import time
from pathlib import Path

import cv2
import paho.mqtt.client as mqtt
from prometheus_client import start_http_server

from vigie_detector import __version__, health, metrics
from vigie_detector.analyzer import CameraAnalyzer
from vigie_detector.config import DetectorConfig
from vigie_detector.events import Event, purge_snapshots, save_snapshot, topic
from vigie_detector.intrusion import PeopleVerifier
from vigie_detector.stream import CameraStream

log = logging.getLogger("vigie_detector")
HEALTH_EVERY_S = 5.0
PURGE_EVERY_S = 3600.0


def health_topic(config: DetectorConfig) -> str:
    return f"{config.mqtt.topic_prefix}/detectors/{config.mqtt.client_id}/health"


def mqtt_client(config: DetectorConfig, connected: threading.Event) -> mqtt.Client:
    m = config.mqtt
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=m.client_id
    )
    if m.username:
        password = None
        if m.password_file:
            try:
                password = Path(m.password_file).read_text().strip()
            except OSError as exc:
                raise SystemExit(f"vigie_detector: mqtt.password_file: {exc}") from None
        client.username_pw_set(m.username, password)
    if m.ca_file:
        for key in ("ca_file", "cert_file", "key_file"):
            path = getattr(m, key)
            if path and not Path(path).is_file():
                raise SystemExit(f"vigie_detector: mqtt.{key}: no such file: {path}")
        # Verified TLS: certificate chain and host name are checked by default;
        # with a client certificate the broker knows which detector this is.
        try:
            client.tls_set(ca_certs=m.ca_file, certfile=m.cert_file, keyfile=m.key_file)
        except (OSError, ValueError) as exc:  # e.g. unreadable key, key not matching the cert
            where = "cert_file/key_file" if m.cert_file else "ca_file"
            raise SystemExit(f"vigie_detector: mqtt.{where}: {exc}") from None
    # The broker tells subscribers when this detector dies without saying goodbye.
    client.will_set(health_topic(config), json.dumps({"status": "offline"}), qos=1, retain=True)
    client.reconnect_delay_set(min_delay=1, max_delay=30)

    def on_connect(_c, _u, _f, reason, _p):
        if not reason.is_failure:
            connected.set()
            metrics.MQTT_UP.set(1)
        log.info("mqtt connect: %s", reason)

    def on_disconnect(_c, _u, _f, reason, _p):
        connected.clear()
        metrics.MQTT_UP.set(0)
        log.warning("mqtt disconnected: %s", reason)

    client.on_connect, client.on_disconnect = on_connect, on_disconnect
    client.connect_async(m.host, m.port, keepalive=m.keepalive_s)
    client.loop_start()
    return client


def run_service(config: DetectorConfig) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Parallelism comes from one thread per camera; OpenCV's own threads would
    # only oversubscribe the container's CPU.
    cv2.setNumThreads(1)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if config.metrics.port:
        start_http_server(config.metrics.port, addr=config.metrics.address)
    connected = threading.Event()
    client = mqtt_client(config, connected)
    pending: queue.Queue[Event] = queue.Queue()
    verifier = PeopleVerifier()
    streams = [
        CameraStream(CameraAnalyzer(c, config, verifier), pending.put, stop) for c in config.cameras
    ]
    for s in streams:
        s.start()
    log.info("vigie-detector %s watching %d camera(s)", __version__, len(streams))

    next_health = next_purge = 0.0
    while not stop.is_set():
        with contextlib.suppress(queue.Empty):
            publish(client, config, pending.get(timeout=0.5))
        now = time.monotonic()
        if now >= next_health:
            next_health = now + HEALTH_EVERY_S
            for s in streams:
                s.check_signal()
                metrics.FPS.labels(*s.labels).set(s.fps(now))
            report(client, config, streams, connected.is_set(), "online")
        if now >= next_purge:
            next_purge = now + PURGE_EVERY_S
            purge_snapshots(config, dt.datetime.now(dt.UTC))

    log.info("stopping")
    for s in streams:
        s.join(timeout=10)
    while not pending.empty():
        publish(client, config, pending.get_nowait())
    report(client, config, streams, False, "offline").wait_for_publish(timeout=5)
    client.disconnect()
    client.loop_stop()
    return 0


def publish(client: mqtt.Client, config: DetectorConfig, ev: Event) -> None:
    try:
        save_snapshot(ev, config.snapshots_dir)
    except OSError as exc:  # a full or read-only disk must not lose the event itself
        log.error("snapshot not saved: %s", exc)
    metrics.EVENTS.labels(ev.site, ev.camera, ev.cls, ev.kind).inc()
    log.info("event %s", ev.to_json())
    client.publish(topic(config.mqtt.topic_prefix, ev.site, ev.camera), ev.to_json(), qos=1)


def report(client, config, streams, mqtt_ok, status) -> mqtt.MQTTMessageInfo:
    now = time.monotonic()
    doc = {
        "status": status,
        "version": __version__,
        "updated": time.time(),
        "mqtt_connected": mqtt_ok,
        "cameras": len(streams),
        "cameras_up": sum(s.up for s in streams),
        "fps": {f"{s.labels[0]}/{s.labels[1]}": round(s.fps(now), 2) for s in streams},
    }
    try:
        health.write(config.health_file, doc)
    except OSError as exc:
        log.error("health file not written: %s", exc)
    return client.publish(health_topic(config), json.dumps(doc), qos=1, retain=True)
