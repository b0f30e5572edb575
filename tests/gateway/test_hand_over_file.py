"""vigie-access reads the model's hand-over (vigie.desired.gateway), never the
inventory: a bad document stops it at start with a clear message, and the service
does not load the inventory loader at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.gw_procs import ROOT, role_hand_over
from vigie.desired import DesiredState
from vigie.loader import load_inventory


@pytest.fixture(scope="module")
def model() -> dict:
    return DesiredState.build(load_inventory(ROOT / "inventories/pilot")).gateway


TLS = {"ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "k.pem"}


def run_service(tmp_path: Path, config: str) -> subprocess.CompletedProcess:
    """`vigie-access run` with this configuration's text."""
    path = tmp_path / "config.yml"
    path.write_text(config)
    return subprocess.run(
        [sys.executable, "-m", "vigie_access", "run", "--config", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def start(tmp_path: Path, handover: str) -> subprocess.CompletedProcess:
    """`vigie-access run` with this hand-over's text (it stops before any socket)."""
    path = tmp_path / "handover.json"
    path.write_text(handover)
    return run_service(tmp_path, json.dumps({"handover": str(path), "mqtt": TLS}))


def test_the_role_s_hand_over_is_what_the_service_reads(model, tmp_path):
    from vigie_access import handover

    doc = handover.load(role_hand_over(model, tmp_path / "handover.json"))
    assert doc.model_dump() == model


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: {**d, "live_path": "live"}, "live_path"),
        (lambda d: {**d, "broker": {**d["broker"], "port": 0}}, "broker.port"),
        (lambda d: {k: v for k, v in d.items() if k != "policy"}, "policy"),
        (lambda d: {**d, "inventory": "/etc/vigie-access/inventory"}, "inventory"),
        (lambda d: {**d, "broker": {**d["broker"], "topic_prefix": "other"}}, "'other'"),
    ],
    ids=["path", "port", "missing", "unknown", "topics"],
)
def test_a_bad_hand_over_stops_the_service_with_a_clear_message(model, tmp_path, change, said):
    run = start(tmp_path, json.dumps(change(model)))
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert "handover.json" in run.stderr and said in run.stderr, run.stderr


@pytest.mark.parametrize("text", ["", "{not json", "[]"], ids=["empty", "not-json", "list"])
def test_a_malformed_hand_over_stops_the_service(tmp_path, text):
    run = start(tmp_path, text)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "not a valid hand-over" in run.stderr, run.stderr


def test_a_missing_hand_over_stops_the_service(tmp_path):
    config = {"handover": str(tmp_path / "nowhere.json"), "mqtt": TLS}
    run = run_service(tmp_path, json.dumps(config))
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "nowhere.json" in run.stderr and "cannot read" in run.stderr, run.stderr


def test_a_configuration_naming_an_inventory_is_refused(tmp_path):
    """The former `inventory:` key: refused, not silently ignored."""
    run = run_service(tmp_path, "inventory: /etc/vigie-access/inventory\n")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "bad configuration" in run.stderr and "inventory" in run.stderr, run.stderr


def test_the_service_never_loads_the_inventory():
    code = (
        "import sys, vigie_access.__main__, vigie_access.service, vigie_access.app\n"
        "print(sorted(m for m in sys.modules if m in ('vigie.loader', 'vigie.viewcache')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_role_s_configuration_names_the_hand_over_and_nothing_of_the_model(tmp_path):
    """config.yml.j2 with the role's defaults: the service's files on this host and the
    hand-over's path; no port, URL or segment length of the model's (the hand-over's)."""
    import yaml

    from tests.gateway.gw_procs import render
    from vigie_access.config import Config

    out = render("roles/access_gateway/templates/config.yml.j2", tmp_path / "c.yml")
    raw = yaml.safe_load(out.read_text())
    cfg = Config.model_validate(raw)
    assert cfg.handover == "/etc/vigie-access/handover.json"
    assert "segment_seconds" not in raw
    assert cfg.mqtt.host == "127.0.0.1"
