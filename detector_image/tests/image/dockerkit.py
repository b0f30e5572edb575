"""Helpers of the container tests: shell, Docker network, waiting, an MQTT subscriber."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

ROOT = Path(__file__).resolve().parents[3]
SUFFIX = f"{os.getpid()}"


def sh(*cmd: str, check: bool = True) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def create_network(name: str) -> str:
    """A network with our own subnet (needed for --ip); skips subnets in use."""
    for n in range(40, 250):
        subnet = f"10.213.{n}.0/24"
        ok = subprocess.run(
            ["docker", "network", "create", "--subnet", subnet, name], capture_output=True
        )
        if ok.returncode == 0:
            return subnet
    raise AssertionError("no free 10.213.x.0/24 subnet for the test network")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Subscriber:
    """Collects every MQTT message of the test broker."""

    def __init__(self, port: int, user: str, password: str):
        self.messages: list[tuple[str, dict]] = []
        self.stamped: list[tuple[float, str, dict]] = []  # (time received, topic, doc)
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="vigie-det-test-sub"
        )
        self.client.username_pw_set(user, password)
        self.client.on_connect = lambda c, *_: c.subscribe("vigie/#", qos=1)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c, _u, msg):
        doc = json.loads(msg.payload)
        with self.lock:
            self.messages.append((msg.topic, doc))
            self.stamped.append((time.time(), msg.topic, doc))

    def find(self, topic: str, **fields):
        with self.lock:
            for t, doc in self.messages:
                if t == topic and all(doc.get(k) == v for k, v in fields.items()):
                    return doc
        return None

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()
