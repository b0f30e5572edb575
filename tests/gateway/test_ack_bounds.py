"""The bus's acknowledgements without a broker: a PUBACK waits for the journal's
entries on disk, a message not handled is tried again, a poison message is given
up (journaled `unprocessable`, counted, acknowledged) after MAX_ATTEMPTS, and a
full journal is never a reason to give up."""

from __future__ import annotations

import datetime as dt
import json
import time
from types import SimpleNamespace

import paho.mqtt.client as mqtt
import pytest

from tests.gateway.test_journal_faults import until
from vigie.audit.note import Signer
from vigie_access import mqtt as bus_module
from vigie_access.core import Rejection
from vigie_access.journal import ORIGIN, JournalUnavailable, SharedJournal, read_entries
from vigie_access.metrics import EVENTS_ABANDONED

SITE, CAMERA = "col-rameau-versailles", "portail"
TOPIC = f"vigie/{SITE}/{CAMERA}/events"


class FakeClient:
    def __init__(self):
        self.acked: list[int] = []

    def ack(self, mid, _qos):
        self.acked.append(mid)

    def publish(self, *_a, **_k):
        raise AssertionError("nothing published here")


@pytest.fixture
def rig(tmp_path, monkeypatch):
    monkeypatch.setattr(bus_module, "RETRY_S", 0.05)
    monkeypatch.setattr(mqtt.Client, "tls_set", lambda *a, **k: None)
    journal = SharedJournal(tmp_path / "j", Signer.generate(ORIGIN), interval_s=0.2)
    cfg = SimpleNamespace(client_id="t", ca_file="", cert_file="", key_file="")
    failures = {"raise": None}

    def on_event(doc, origin, now):
        if failures["raise"] is not None and not isinstance(doc, Rejection):
            raise failures["raise"]
        journal.append({"action": "event_rejected" if isinstance(doc, Rejection) else "event",
                        "decision": "allow", "reason": getattr(doc, "reason", None)})  # fmt: skip

    bus = bus_module.Bus(cfg, on_event, {}, journal)
    bus.client = FakeClient()
    bus._acker.start()
    yield bus, journal, failures
    bus._stop.set()
    journal.close()


def message(mid: int, payload: bytes) -> mqtt.MQTTMessage:
    m = mqtt.MQTTMessage(mid, TOPIC.encode())
    m.payload, m.qos = payload, 1
    return m


def valid() -> bytes:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    return json.dumps({"site": SITE, "camera": CAMERA, "class": "intrusion", "time": now}).encode()


def test_acknowledged_once_its_entries_are_on_disk(rig):
    bus, journal, _ = rig
    bus._on_message(bus.client, None, message(1, valid()))
    bus._on_message(bus.client, None, message(2, b"not json"))
    until(lambda: bus.client.acked == [1, 2], 5, "both acknowledged")
    assert journal.durable_seq >= 2 and bus.unacknowledged == 0


def test_a_poison_message_is_given_up_after_max_attempts(rig):
    bus, journal, failures = rig
    failures["raise"] = ValueError("a bug")
    before = EVENTS_ABANDONED.labels("ValueError")._value.get()
    bus._on_message(bus.client, None, message(7, valid()))
    until(lambda: bus.client.acked == [7], 5, "given up and acknowledged")
    assert EVENTS_ABANDONED.labels("ValueError")._value.get() == before + 1
    reasons = [e.get("reason") for e in read_entries(journal._journal.path)]  # durable: acked
    assert "unprocessable" in reasons


def test_a_full_journal_is_never_a_reason_to_give_up(rig):
    bus, _journal, failures = rig
    failures["raise"] = JournalUnavailable("backlog full")
    bus._on_message(bus.client, None, message(9, valid()))
    time.sleep(20 * bus_module.RETRY_S * bus_module.MAX_ATTEMPTS / 5)
    assert bus.client.acked == [] and bus.unacknowledged == 1
    failures["raise"] = None  # room again: handled, journaled, acknowledged
    until(lambda: bus.client.acked == [9], 5, "acknowledged once journaled")
