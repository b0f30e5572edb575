"""The detector image as a running container, checked with testinfra.

Order matters: the tests walk through one container's life (start, detect,
lose the camera, reconnect, stop)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import testinfra
from dockerkit import sh, wait_for


@pytest.fixture(scope="module")
def host(detector):
    return testinfra.get_host(f"docker://{detector['name']}")


def inspect(name: str, fmt: str) -> str:
    return sh("docker", "inspect", "-f", fmt, name)


def metric(url: str, name: str, **labels) -> float:
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{want}}} not exposed")


def test_runs_as_non_root_on_a_read_only_root(host, detector):
    assert host.user().uid != 0
    assert host.user().name == "vigie"
    assert host.run("touch /opt/vigie-detector/x").rc != 0
    assert inspect(detector["name"], "{{ .HostConfig.ReadonlyRootfs }}") == "true"


def test_no_secret_in_the_image_or_the_config(host):
    config = host.file("/etc/vigie-detector/config.yml").content_string
    assert "password_file" in config and '"password"' not in config


def test_healthcheck_becomes_healthy(detector):
    wait_for(
        lambda: inspect(detector["name"], "{{ .State.Health.Status }}") == "healthy", 90, "healthy"
    )


def test_reads_the_camera_and_publishes_an_intrusion(host, detector, subscriber):
    event = wait_for(
        lambda: subscriber.find("vigie/site-a/cam1/events", **{"class": "intrusion"}),
        60,
        "intrusion",
    )
    assert event["site"] == "site-a" and event["camera"] == "cam1" and event["zone"] == "floor"
    assert event["kind"] == "person" and event["score"] > 0
    snapshot = host.file(f"/var/lib/vigie-detector/snapshots/{event['snapshot']}")
    assert snapshot.exists and snapshot.user == "vigie" and snapshot.size > 10_000
    assert metric(detector["metrics"], "vigie_detector_frames_total", camera="cam1") > 10


def test_health_topic(subscriber):
    health = wait_for(
        lambda: subscriber.find("vigie/detectors/vigie-det-test/health", cameras_up=1), 30, "health"
    )
    assert health["status"] == "online" and health["mqtt_connected"] is True


def test_camera_loss_is_tamper_then_reconnects(camera, detector, subscriber):
    sh("docker", "stop", "-t", "1", camera["name"])
    lost = wait_for(
        lambda: subscriber.find(
            "vigie/site-a/cam1/events", **{"class": "tamper", "kind": "signal_loss"}
        ),
        45,
        "signal loss",
    )
    assert lost["camera"] == "cam1"
    sh("docker", "start", camera["name"])
    before = len(subscriber.messages)

    def up_again():
        with subscriber.lock:
            recent = subscriber.messages[before:]
        return any(t.endswith("/health") and d.get("cameras_up") == 1 for t, d in recent)

    wait_for(up_again, 60, "the stream to come back")
    assert metric(detector["metrics"], "vigie_detector_reconnects_total", camera="cam1") >= 2


def test_stops_gracefully(detector, subscriber):
    sh("docker", "stop", "-t", "20", detector["name"])
    assert inspect(detector["name"], "{{ .State.ExitCode }}") == "0"
    offline = subscriber.find("vigie/detectors/vigie-det-test/health", status="offline")
    assert offline is not None and json.dumps(offline)
