"""The pki role: a CA whose key stays on the host, identities it signed, a CRL."""

testinfra_hosts = ["docker://vigie-mol-pki"]
ROOT = "/etc/vigie-pki"


def openssl(host, args):
    return host.run("openssl " + args)


def test_ca_key_is_private_and_the_ca_signs_its_identities(host):
    key = host.file(f"{ROOT}/ca/ca.key")
    assert key.mode == 0o600 and key.user == "root"
    for name in ("col-houdan-det1", "agency-ggd78", "ggd78_op-0007", "broker"):
        r = openssl(host, f"verify -CAfile {ROOT}/ca/ca.pem {ROOT}/issued/{name}/cert.pem")
        assert r.rc == 0, r.stderr
        assert host.file(f"{ROOT}/issued/{name}/key.pem").mode == 0o600


def test_operator_certificates_are_short_lived(host):
    cert = f"{ROOT}/issued/ggd78_op-0007/cert.pem"
    assert openssl(host, f"x509 -in {cert} -noout -checkend 90000").rc != 0  # < 25 h left
    subject = openssl(host, f"x509 -in {cert} -noout -subject -nameopt RFC2253").stdout
    assert "CN=ggd78/op-0007" in subject


def _subject(host, name):
    cert = f"{ROOT}/issued/{name}/cert.pem"
    return openssl(host, f"x509 -in {cert} -noout -subject -nameopt RFC2253").stdout.strip()


def test_each_certificate_names_its_kind_in_its_subject(host):
    """The kind is in the subject (OU): nginx and the service tell an operator from a
    detector, an agency's broker identity or a server by the certificate itself."""
    kinds = {
        "col-houdan-det1": "detector",
        "agency-ggd78": "agency",
        "ggd78_op-0007": "operator",
        "broker": "server",
    }
    for name, kind in kinds.items():
        assert _subject(host, name).endswith(f",OU={kind},O=Vigie"), _subject(host, name)


def test_revoked_operator_fails_with_the_crl(host):
    ca, crl = f"{ROOT}/ca/ca.pem", f"{ROOT}/crl.pem"
    revoked = openssl(
        host, f"verify -crl_check -CAfile {ca} -CRLfile {crl} {ROOT}/issued/ggd78_op-0008/cert.pem"
    )
    assert revoked.rc != 0 and "revoked" in revoked.stdout + revoked.stderr
    ok = openssl(
        host, f"verify -crl_check -CAfile {ca} -CRLfile {crl} {ROOT}/issued/ggd78_op-0007/cert.pem"
    )
    assert ok.rc == 0, ok.stdout + ok.stderr


def test_server_certificate_names_the_broker(host):
    text = openssl(host, f"x509 -in {ROOT}/issued/broker/cert.pem -noout -text").stdout
    assert "DNS:broker.vigie.test" in text and "TLS Web Server Authentication" in text
