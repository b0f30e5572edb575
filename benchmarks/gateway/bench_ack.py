"""MQTT events acknowledged per second, in process: the service's real bus, core,
SQLite store and journal (group commit, fsync) on the pilot's model, the MQTT
client replaced by one that counts PUBACKs. Side by side in one run:

- durable: a PUBACK waits for the message's journal entries on disk (today);
- before: a PUBACK right after the message is handled (the entries still queued).

Each message is a valid detector event (a camera of the pilot, intrusion or
tamper, its own time: no join, each opens its grants and notifications); the
per-publisher rate limit is lifted (it would refuse a burst). Fed by one thread,
as paho's network thread does. Run: .venv/bin/python benchmarks/gateway/bench_ack.py
[EVENTS, default 2000]."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import paho.mqtt.client as mqtt

from vigie import central
from vigie.access_policy.tokens import TokenAuthority
from vigie.audit.note import Signer
from vigie.loader import load_inventory
from vigie_access import mqtt as bus_module
from vigie_access.adapters import ModelPolicy
from vigie_access.core import AccessCore
from vigie_access.journal import ORIGIN, SharedJournal
from vigie_access.store import Store

ROOT = Path(__file__).resolve().parents[2]


class Client:
    """Counts PUBACKs; a notification is published at once."""

    def __init__(self):
        self.acked = 0

    def ack(self, _mid, _qos):
        self.acked += 1

    def publish(self, *_a, **_k):
        return SimpleNamespace(is_published=lambda: True, wait_for_publish=lambda _t: None)


def run(inv, events: list[tuple[str, bytes]], folder: Path, durable: bool) -> tuple[float, int]:
    journal = SharedJournal(folder / "journal", Signer.generate(ORIGIN))
    cfg = SimpleNamespace(client_id="bench", ca_file="", cert_file="", key_file="")
    core_box = []
    bus = bus_module.Bus(
        cfg, lambda d, o, n: core_box[0].on_event(d, o, n), central.alarm_feeds(inv),
        journal if durable else None,
    )  # fmt: skip
    bus.client = Client()
    bus.limit = bus_module.RateLimit(per_min=1e12, burst=1e12)
    core_box.append(
        AccessCore(
            store=Store(folder / "access.sqlite"),
            policy=ModelPolicy(inv),
            tokens=TokenAuthority(os.urandom(32)),
            journal=journal,
            sources=central.camera_sources(inv),
            publish=bus.publish,
            segment_seconds=2,
            recorder_url=lambda _s: "",
        )
    )
    if durable:
        bus._acker.start()
    t0 = time.perf_counter()
    for mid, (topic, payload) in enumerate(events, 1):
        bus._on_message(bus.client, None, SimpleNamespace(topic=topic, payload=payload, mid=mid,
                                                           qos=1))  # fmt: skip
    while bus.client.acked < len(events) and time.perf_counter() - t0 < 300:
        time.sleep(0.001)
    spent = time.perf_counter() - t0
    bus._stop.set()
    journal.close()
    return spent, journal.durable_seq


def main() -> None:
    mqtt.Client.tls_set = lambda *a, **k: None  # no broker here
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    inv = load_inventory(ROOT / "inventories/pilot")
    policy = ModelPolicy(inv)
    cams = [
        (s.site, s.camera, cls)
        for s in central.camera_sources(inv).values()
        for cls in ("intrusion", "tamper")
        if policy.competent(s.site, s.camera, cls, "detector")
    ]
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25)
    events = []
    for i in range(n):
        site, camera, cls = cams[i % len(cams)]
        when = base + dt.timedelta(milliseconds=10 * i)  # each its own id, none joins
        doc = {"site": site, "camera": camera, "class": cls, "kind": f"k{i}",
               "time": when.isoformat(timespec="milliseconds")}  # fmt: skip
        events.append((central.event_topic(site, camera), json.dumps(doc).encode()))
    print(f"{n} events over {len(cams)} cameras x classes, load average {os.getloadavg()[0]:.1f}")
    for durable in (False, True, False, True):
        with tempfile.TemporaryDirectory() as tmp:
            spent, entries = run(inv, events, Path(tmp), durable)
        label = "durable (ack after fsync)" if durable else "before (ack after handling)"
        print(f"{label:30} {n / spent:8.0f} events acknowledged/s  ({spent:.2f} s, "
              f"{entries} journal entries)")  # fmt: skip


if __name__ == "__main__":
    main()
