"""The access_gateway role: vigie-access (non-root, hardened) behind nginx with
mutual TLS; an operator of the model gets its agency's events, others are refused."""

testinfra_hosts = ["docker://vigie-mol-access-gateway"]
PKI = "/etc/vigie-pki"

GET = """python3 - <<'PY'
import ssl, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile="{pki}/ca/ca.pem")
{load}
try:
    r = urllib.request.urlopen("https://localhost{path}", context=ctx, timeout=10)
    print(r.status, r.read().decode()[:300])
except urllib.error.HTTPError as e:
    print(e.code)
PY"""


def get_events(host, identity=None, path="/api/events"):
    load = ""
    if identity:
        d = f"{PKI}/issued/{identity.replace('/', '_')}"
        load = f'ctx.load_cert_chain("{d}/cert.pem", "{d}/key.pem")'
    return host.check_output(GET.format(pki=PKI, load=load, path=path))


def test_service_runs_unprivileged_and_hardened(host):
    svc = host.service("vigie-access")
    assert svc.is_running and svc.is_enabled
    user = host.check_output("systemctl show vigie-access -p User --value")
    assert user == "vigie-access"
    props = host.check_output(
        "systemctl show vigie-access -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet"
    )
    assert "NoNewPrivileges=yes" in props and "ProtectSystem=strict" in props
    assert host.file("/etc/vigie-access/keys/token.key").mode == 0o600


def test_nginx_requires_a_client_certificate(host):
    assert host.socket("tcp://0.0.0.0:443").is_listening
    assert get_events(host).startswith("400")


def test_an_operator_of_the_model_sees_its_agency(host):
    out = get_events(host, "dipn78/op-0042")
    assert out.startswith("200") and '"agency": "dipn78"' in out


def test_only_an_operators_certificate_uses_the_api(host):
    """The kind is the certificate's (OU): a device's, a witness's are refused by nginx
    whatever their name."""
    for identity in ("dipn78/cam-gate", "witness-dpo"):
        assert get_events(host, identity).startswith("403")
        assert get_events(host, identity, "/operateur/").startswith("403")
    assert get_events(host, "dipn78/op-0042", "/operateur/").startswith("200")


def test_an_administrator_is_refused(host):
    assert get_events(host, "vigie-ops/admin-01").startswith("403")


def test_service_is_subscribed_to_the_broker(host):
    log = host.file("/var/log/mosquitto/mosquitto.log").content_string
    assert "as vigie-access" in log or "vigie-access" in log


def test_only_the_witness_reads_the_journal(host):
    """/journal/: the entries and signed checkpoints, read-only, for the witness's
    certificate alone; an operator is refused by the service (journaled)."""
    listing = get_events(host, "witness-dpo", "/journal/")
    assert listing.startswith("200") and '"entries.jsonl"' in listing
    assert get_events(host, "witness-dpo", "/journal/entries.jsonl").startswith("200")
    assert get_events(host, "dipn78/op-0042", "/journal/entries.jsonl").startswith("403")
    assert get_events(host, "witness-dpo", "/journal/leaves.bin")[:3] in ("401", "403")
