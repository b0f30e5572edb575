"""Who acts in the levée de doute's lab tests (tests/lab/test_levee_*.py): the lab's
operators (`operator`, `client`), a detector publishing as itself (`publish_as_detector`),
and the central journal recording them (`journal`, `journaled`)."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

from lab import levee
from tests.lab.containers import sh

JOURNAL = "/var/lib/vigie-access/journal"
JOURNAL_VKEY = "/etc/vigie-access/keys/journal.vkey"
VIGIE = str(Path(sys.executable).parent / "vigie")
ADMIN = "vigie-ops/op-0001"  # inventories/lab: pki__extra_identities


def client(lab, workdir, name) -> levee.Client:
    return levee.Client(lab, name, workdir)


def operator(inv, agency: str, index: int = 0) -> str:
    return inv.agencies[agency].operators[index]


def journal(lab) -> list[dict]:
    time.sleep(1.5)  # the service's journal writer flushes every second
    text = sh(lab["central"][0]["container"], f"cat {JOURNAL}/entries.jsonl")
    return [json.loads(line) for line in text.splitlines() if line]


def journaled(lab, rule: str, who: str, since: int) -> dict:
    for e in journal(lab)[since:]:
        actor = e.get("actor", {}).get("operator")
        if e.get("rule") == rule and e.get("decision") == "deny" and actor == who:
            return e
    raise AssertionError(f"no journal entry refused by {rule} for {who}")


def any_segment(viewing) -> str:
    """A segment of the window (or its name, if the recorder listed none)."""
    if viewing["segments"]:
        return viewing["segments"][-1]
    cam = viewing["grant"]["camera"]
    day = viewing["grant"]["event_time"][:10]
    return f"{viewing['grant']['site']}-{cam}/{day}/{viewing['grant']['site']}-{cam}_000000.ts"


# Run inside a detector container with its host's certificate (the files the
# detector itself uses): one message to `argv[1]`, QoS 1, MQTT 5 so that the
# broker's answer (reason code) is seen.
PUBLISH_PY = r"""
import json, sys, threading, paho.mqtt.client as mqtt
done = threading.Event(); out = {}
def on_publish(c, u, mid, rc, props):
    out["reason"] = int(rc.value) if hasattr(rc, "value") else int(rc); done.set()
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=sys.argv[2], protocol=mqtt.MQTTv5)
c.tls_set(ca_certs="/etc/vigie-detector/mqtt-ca.crt",
          certfile="/run/vigie-detector/tls/cert.pem", keyfile="/run/vigie-detector/tls/key.pem")
c.on_publish = on_publish
c.connect(sys.argv[3], int(sys.argv[4])); c.loop_start()
c.publish(sys.argv[1], sys.argv[5], qos=1)
done.wait(10); c.disconnect(); c.loop_stop()
print(json.dumps(out))
"""


def detector_containers(lab, host: str) -> tuple[str, list[str]]:
    """(lab container of the detector host, its detector containers)."""
    outer = lab["hosts"][host]["container"]
    names = sh(outer, "docker ps --filter label=vigie.shard --format '{{.Names}}'").split()
    assert names, f"{host}: no detector container (make lab-detectors)"
    return outer, names


def publish_as_detector(lab, host: str, topic: str, client_id: str, payload: str) -> dict:
    """Publish from inside a detector container of `host`, with the host's own
    certificate: {"reason": the broker's PUBACK reason code} (0 = accepted)."""
    outer, inner = detector_containers(lab, host)
    m = lab["mqtt"]
    args = [topic, client_id, m["host"], str(m["port"]), payload]
    cmd = f"docker exec {inner[0]} python3 -c {shlex.quote(PUBLISH_PY)} " + " ".join(
        shlex.quote(a) for a in args
    )
    out = sh(outer, cmd)
    return json.loads(out.strip().splitlines()[-1])
