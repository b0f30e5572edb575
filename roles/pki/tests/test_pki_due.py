"""pki_due.py decides which identities the CA (re-)issues: a certificate whose
subject does not carry the identity's kind (OU) is due, like one for another name."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCRIPT = Path(__file__).resolve().parents[1] / "files" / "pki_due.py"
NOW = dt.datetime.now(dt.UTC)


def _load():
    spec = importlib.util.spec_from_file_location("pki_due", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pki_due = _load()


def _name(**attrs: str) -> x509.Name:
    oids = {"O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME}
    oids["CN"] = NameOID.COMMON_NAME
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs.items()])


@pytest.fixture
def ca(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(O="Vigie", CN="test CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=10))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _issue(root: Path, ca, cn: str, **subject: str) -> None:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(O="Vigie", **subject, CN=cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=300))
        .sign(ca_key, hashes.SHA256())
    )
    folder = root / "issued" / cn.replace("/", "_")
    folder.mkdir(parents=True)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_a_certificate_is_due_unless_its_subject_names_the_identitys_kind(tmp_path, ca):
    _issue(tmp_path, ca, "col-houdan-det1", OU="detector")
    _issue(tmp_path, ca, "ggd78/op-0007")  # issued before kinds: no OU
    _issue(tmp_path, ca, "agency-ggd78", OU="operator")  # the wrong kind
    ca_cert = ca[1]

    def due(name, kind):
        return pki_due.due(tmp_path, 30, ca_cert, {"name": name, "kind": kind})

    assert not due("col-houdan-det1", "detector")
    assert due("col-houdan-det1", "operator")
    assert due("ggd78/op-0007", "operator")
    assert due("agency-ggd78", "agency")
