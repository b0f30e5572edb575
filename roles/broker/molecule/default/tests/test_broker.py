"""The broker role: TLS with client certificates only, the model's ACL enforced,
refusals logged, QoS 1 messages kept across a restart."""

import time

testinfra_hosts = ["docker://vigie-mol-broker"]
PKI = "/etc/vigie-pki"
TOPIC = "vigie/col-houdan/portail/events"


def tls(name):
    d = f"{PKI}/issued/{name}"
    return f"-h localhost -p 8883 --cafile {PKI}/ca/ca.pem --cert {d}/cert.pem --key {d}/key.pem"


def test_only_the_tls_listener(host):
    assert host.service("mosquitto").is_running and host.service("mosquitto").is_enabled
    assert host.socket("tcp://0.0.0.0:8883").is_listening
    assert not host.socket("tcp://0.0.0.0:1883").is_listening
    assert not host.socket("tcp://127.0.0.1:1883").is_listening


def test_unit_is_hardened(host):
    props = host.check_output("systemctl show mosquitto -p NoNewPrivileges -p ProtectSystem")
    assert "NoNewPrivileges=yes" in props and "ProtectSystem=strict" in props


def test_detector_publishes_its_camera_and_the_service_receives_it(host):
    sub = host.run(
        f"timeout 10 mosquitto_sub {tls('vigie-access')} -t 'vigie/+/+/events' -C 1 -q 1 "
        f"& sleep 1; mosquitto_pub {tls('col-houdan-det1')} -t {TOPIC} -q 1 -m hello; wait"
    )
    assert "hello" in sub.stdout, sub.stderr


def test_detector_cannot_publish_another_camera_and_it_is_logged(host):
    other = "vigie/col-rameau-versailles/portail/events"
    r = host.run(f"mosquitto_pub {tls('col-houdan-det1')} -V mqttv5 -t {other} -q 1 -m x")
    assert r.rc != 0 or "not authorized" in (r.stdout + r.stderr).lower()
    time.sleep(0.5)
    log = host.file("/var/log/mosquitto/mosquitto.log").content_string
    assert "Denied PUBLISH from" in log and other in log


def test_agency_reads_only_its_topic(host):
    r = host.run(
        f"timeout 5 mosquitto_sub {tls('agency-ggd78')} -V mqttv5 "
        "-t vigie/agencies/dipn78/notifications -C 1"
    )
    assert r.rc != 0


def test_revoked_and_anonymous_clients_are_refused(host):
    assert host.run(f"mosquitto_pub {tls('col-trappes-det1')} -t {TOPIC} -m x").rc != 0
    anon = host.run(f"mosquitto_pub -h localhost -p 8883 --cafile {PKI}/ca/ca.pem -t {TOPIC} -m x")
    assert anon.rc != 0


def test_queued_qos1_message_survives_a_restart(host):
    session = f"{tls('vigie-access')} -i vigie-access-test -c -q 1 -t 'vigie/+/+/events'"
    host.run_test(f"timeout 3 mosquitto_sub {session} -W 1 || true")  # persistent session
    host.run_test(f"mosquitto_pub {tls('col-houdan-det1')} -t {TOPIC} -q 1 -m kept")
    host.run_test("systemctl restart mosquitto")
    time.sleep(1)
    r = host.run(f"timeout 5 mosquitto_sub {session} -C 1")
    assert "kept" in r.stdout, r.stderr
