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
from types import SimpleNamespace

import paho.mqtt.client as mqtt
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


# --- Client certificates, as roles/broker configures the platform's broker ---

PILOT = Path(__file__).resolve().parents[2] / "inventories/pilot"


def _client_cert(d: Path, ca_key: Path, ca_crt: Path, cn: str) -> tuple[Path, Path]:
    key, csr, crt = d / f"{cn}.key", d / f"{cn}.csr", d / f"{cn}.crt"
    subprocess.run(
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
         "-keyout", key, "-out", csr],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "1", "-out", crt],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


@pytest.fixture
def platform_broker():
    """mosquitto as roles/broker writes it: TLS only, a client certificate required,
    its CN is the user, the ACL is the model's (`vigie central`)."""
    from vigie.central import broker_users, mosquitto_acl
    from vigie.loader import load_inventory

    inv = load_inventory(PILOT)
    d = Path(tempfile.mkdtemp(prefix="vigie-det-mtls-"))
    d.chmod(0o755)
    ca_key, ca_crt = _ca(d, "vigie-test-ca")
    key, crt = _server_cert(d, ca_key, ca_crt)
    users = {u.name: u for u in broker_users(inv) if u.kind == "detector"}
    identity = "col-houdan-det1"
    clients = {cn: _client_cert(d, ca_key, ca_crt, cn) for cn in (identity, "vigie-access")}
    acl, log = d / "vigie.acl", d / "mosquitto.log"
    acl.write_text(mosquitto_acl(inv))
    for f in d.iterdir():
        f.chmod(0o644)
    port = _free_port()
    conf = d / "mosquitto.conf"
    conf.write_text(
        "per_listener_settings false\nallow_anonymous false\n"
        f"acl_file {acl}\nlog_dest file {log}\nlog_type all\n"
        f"listener {port} 127.0.0.1\ncafile {ca_crt}\ncertfile {crt}\nkeyfile {key}\n"
        "require_certificate true\nuse_identity_as_username true\ntls_version tlsv1.2\n"
    )
    log.touch(mode=0o666)
    log.chmod(0o666)
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline, "mosquitto did not listen"
        time.sleep(0.1)
    own = users[identity]
    other = next(t for u in users.values() if u.name != identity for t in u.write)
    yield SimpleNamespace(
        port=port, ca=ca_crt, clients=clients, identity=identity, own=own, other=other, log=log, d=d
    )
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(d, ignore_errors=True)


def _detector(b, cert: Path | None, key: Path | None, client_id: str) -> DetectorConfig:
    mqtt = {"host": "127.0.0.1", "port": b.port, "ca_file": str(b.ca), "client_id": client_id}
    if cert:
        mqtt |= {"cert_file": str(cert), "key_file": str(key)}
    return DetectorConfig.model_validate(
        {
            "mqtt": mqtt,
            "metrics": {"port": 0},
            "cameras": [{"id": "cam1", "site": "site-a", "url": "rtsp://127.0.0.1/x"}],
        }
    )


def _listener(b) -> tuple[mqtt.Client, list[str]]:
    """The access service's identity: it reads every camera's events."""
    got: list[str] = []
    ready = threading.Event()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-vigie-access")
    cert, key = b.clients["vigie-access"]
    c.tls_set(ca_certs=str(b.ca), certfile=str(cert), keyfile=str(key))
    c.on_message = lambda _c, _u, msg: got.append(msg.topic)
    c.on_subscribe = lambda *_: ready.set()
    c.on_connect = lambda cl, *_: cl.subscribe("vigie/+/+/events", qos=1)
    c.connect("127.0.0.1", b.port)
    c.loop_start()
    assert ready.wait(5), "the access service's identity could not subscribe"
    return c, got


def test_detector_identity_publishes_its_cameras_and_is_refused_for_another_site(
    platform_broker,
):
    b = platform_broker
    cert, key = b.clients[b.identity]
    own_topic = next(t for t in b.own.write if t.endswith("/events"))
    listener, got = _listener(b)
    connected = threading.Event()
    det = mqtt_client(_detector(b, cert, key, f"{b.identity}-vigie-detector-0"), connected)
    try:
        assert connected.wait(5), "the detector's certificate was not accepted"
        det.publish(b.other, "{}", qos=1).wait_for_publish(5)
        det.publish(own_topic, "{}", qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while own_topic not in got and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the refused message, sent first, had every chance to arrive
        assert got == [own_topic], got
        # The attempt is visible in the broker's log, with the detector's identity.
        assert f"Denied PUBLISH from {b.identity}-vigie-detector-0" in b.log.read_text()
        assert b.other.split("/")[1] != "col-houdan"
    finally:
        for c in (det, listener):
            c.loop_stop()
            c.disconnect()


def test_without_a_client_certificate_the_detector_is_refused(platform_broker):
    b = platform_broker
    connected = threading.Event()
    det = mqtt_client(_detector(b, None, None, "anonymous-detector"), connected)
    try:
        assert not connected.wait(3)
    finally:
        det.loop_stop()


def test_missing_client_key_is_a_clean_error_naming_the_setting_only(platform_broker):
    b = platform_broker
    cert, _ = b.clients[b.identity]
    config = _detector(b, cert, b.d / "absent.key", "x")
    with pytest.raises(SystemExit, match=r"mqtt\.key_file: no such file"):
        mqtt_client(config, threading.Event())
    # A key that does not match the certificate: refused without its content.
    _, other_key = b.clients["vigie-access"]
    with pytest.raises(SystemExit, match=r"mqtt\.cert_file/key_file") as err:
        mqtt_client(_detector(b, cert, other_key, "x"), threading.Event())
    assert "PRIVATE KEY" not in str(err.value)
