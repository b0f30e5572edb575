"""A throw-away CA for the gateway tests (the platform's is roles/pki): a server
certificate for 127.0.0.1, client certificates by common name, and a CRL."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC)


def _name(cn: str, kind: str | None = None) -> x509.Name:
    """As roles/pki names them: O=Vigie, OU=<kind>, CN=<name>."""
    ou = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, kind)] if kind else []
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vigie"),
            *ou,
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _write_key(key, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


@dataclass
class TestPKI:
    root: Path
    certs: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    revoked: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("vigie test CA"))
            .issuer_name(_name("vigie test CA"))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(hours=1))
            .not_valid_after(NOW + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca = self.root / "ca.pem"
        self.ca.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.crl = self.root / "crl.pem"
        self.write_crl()

    def issue(
        self, cn: str, server: bool = False, kind: str | None = "operator", alias: str = ""
    ) -> tuple[Path, Path]:
        """A certificate for `cn` of this `kind` (its OU; None: none, as before kinds),
        a server's (kind `server`) when `server`; kept under `alias` when given (a
        second certificate for the same name)."""
        key = ec.generate_private_key(ec.SECP256R1())
        b = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, "server" if server else kind))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(hours=1))
            .not_valid_after(NOW + dt.timedelta(hours=12))  # operators: short-lived
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if server:
            b = b.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        else:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        cert = b.sign(self.ca_key, hashes.SHA256())
        stem = (alias or cn).replace("/", "_")
        cert_path, key_path = self.root / f"{stem}.pem", self.root / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, key_path)
        self.certs[alias or cn] = (cert_path, key_path)
        return cert_path, key_path

    def revoke(self, cn: str) -> None:
        cert = x509.load_pem_x509_certificate(self.certs[cn][0].read_bytes())
        self.revoked.append(cert.serial_number)
        self.write_crl()

    def write_crl(self) -> None:
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca_cert.subject)
            .last_update(NOW - dt.timedelta(minutes=5))
            .next_update(NOW + dt.timedelta(days=1))
        )
        for serial in self.revoked:
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(NOW - dt.timedelta(minutes=1))
                .build()
            )
        crl = b.sign(self.ca_key, hashes.SHA256())
        self.crl.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
