"""MQTT over verified TLS against a real mosquitto on the host loopback.

The lab broker only listens with TLS (ANSSI: flows authenticated and
encrypted), so the detector must connect with `mqtt.ca_file` and must refuse a
broker whose certificate its CA did not sign.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from vigie_detector.config import DetectorConfig
from vigie_detector.service import mqtt_client


@pytest.fixture(autouse=True)
def _tools():
    """mosquitto and openssl (scripts/apt-packages.txt): in CI their absence fails."""
    if not (shutil.which("mosquitto") and shutil.which("openssl")):
        message = "needs Debian's mosquitto and openssl (scripts/apt-packages.txt)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ca(d: Path, name: str) -> tuple[Path, Path]:
    key, crt = d / f"{name}.key", d / f"{name}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-keyout", key, "-out", crt],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, crt


def _server_cert(d: Path, ca_key: Path, ca_crt: Path) -> tuple[Path, Path]:
    key, csr, crt = d / "server.key", d / "server.csr", d / "server.crt"
    ext = d / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    subprocess.run(
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", key, "-out", csr],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", crt],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, crt


@pytest.fixture
def tls_broker():
    # mosquitto drops root for its own user: it must be able to read this folder
    # (pytest's tmp_path sits under a 0700 directory).
    tmp_path = Path(tempfile.mkdtemp(prefix="vigie-det-tls-"))
    tmp_path.chmod(0o755)
    ca_key, ca_crt = _ca(tmp_path, "vigie-test-ca")
    key, crt = _server_cert(tmp_path, ca_key, ca_crt)
    for f in (key, crt, ca_crt):
        f.chmod(0o644)
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"certfile {crt}\nkeyfile {key}\ncafile {ca_crt}\n"
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline, "mosquitto did not listen"
        time.sleep(0.1)
    yield port, ca_crt, tmp_path
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(tmp_path, ignore_errors=True)


def _connects(port: int, ca_file: Path) -> bool:
    config = DetectorConfig.model_validate(
        {
            "mqtt": {"host": "127.0.0.1", "port": port, "ca_file": str(ca_file)},
            "metrics": {"port": 0},
            "cameras": [{"id": "cam1", "site": "site-a", "url": "rtsp://127.0.0.1/x"}],
        }
    )
    connected = threading.Event()
    client = mqtt_client(config, connected)
    try:
        client.connect(config.mqtt.host, config.mqtt.port)
    except OSError:
        return False  # TLS handshake refused
    client.loop_start()
    try:
        return connected.wait(5)
    finally:
        client.loop_stop()
        client.disconnect()


def test_detector_connects_to_a_tls_broker_signed_by_its_ca(tls_broker):
    port, ca_crt, _ = tls_broker
    assert _connects(port, ca_crt)


def test_detector_refuses_a_broker_its_ca_did_not_sign(tls_broker):
    port, _, d = tls_broker
    other = d / "other"
    other.mkdir()
    _, other_ca = _ca(other, "someone-else")
    assert not _connects(port, other_ca)


def test_missing_ca_file_is_a_clean_error(tmp_path):
    config = DetectorConfig.model_validate(
        {
            "mqtt": {"host": "127.0.0.1", "ca_file": str(tmp_path / "absent.crt")},
            "cameras": [{"id": "cam1", "site": "site-a", "url": "rtsp://127.0.0.1/x"}],
        }
    )
    with pytest.raises(SystemExit, match=r"mqtt\.ca_file"):
        mqtt_client(config, threading.Event())
