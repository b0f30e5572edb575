#!/usr/bin/python3
"""Which identities need a key or a certificate: prints their names (JSON).

    pki_due.py ROOT RENEW_DAYS IDENTITIES_JSON

An identity is due when its key or certificate is missing, unreadable, not
issued for its name (CN), its kind (OU) and its subject alternative names, or valid for less
than RENEW_DAYS more days (operators: 0, re-issued once expired). One pass over
the files instead of five tasks per identity: a run that changes nothing stays
fast with hundreds of identities.
"""

import datetime as dt
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PUBLIC = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sans_of(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out = [f"DNS:{n}" for n in ext.get_values_for_type(x509.DNSName)]
    out += [f"IP:{a}" for a in ext.get_values_for_type(x509.IPAddress)]
    return sorted(out)


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """The CA's ECDSA signature (cryptography 38, Debian bookworm: no verify helper)."""
    try:
        ca.public_key().verify(
            cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
        )
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def due(root: Path, renew_days: int, ca: x509.Certificate, ident: dict) -> bool:
    folder = root / "issued" / ident["name"].replace("/", "_")
    try:
        key = serialization.load_pem_private_key((folder / "key.pem").read_bytes(), None)
        cert = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
    except (OSError, ValueError, TypeError):
        return True
    if cert.public_key().public_bytes(*PUBLIC) != key.public_key().public_bytes(*PUBLIC):
        return True
    if not signed_by(cert, ca):
        return True
    cns = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if cns != [ident["name"]]:
        return True
    ous = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if ous != [ident["kind"]]:  # issued before kinds, or for another kind
        return True
    if ident.get("kind") == "server" and sans_of(cert) != sorted(ident.get("sans") or []):
        return True
    days = 0 if ident.get("kind") == "operator" else renew_days
    left = cert.not_valid_after.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
    return left <= dt.timedelta(days=days)


def main() -> None:
    root, renew_days, identities = Path(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    ca = x509.load_pem_x509_certificate((root / "ca" / "ca.pem").read_bytes())
    print(json.dumps([i["name"] for i in identities if due(root, renew_days, ca, i)]))


if __name__ == "__main__":
    main()
