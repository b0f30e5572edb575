"""Who is asking: the operator's client certificate, verified by nginx (mutual TLS)
and handed to the service in headers on a Unix socket only nginx can reach.

Subject CN is the pseudonymous identity `<agency>/<operator>` (e.g. `dipn78/op-0042`)
and OU the certificate's kind (roles/pki): only `operator` identifies a person here,
whatever the CN says (a detector's, an alarm source's or a witness's certificate of
the same CA is no operator, even with a CN shaped like an operator's). The binding of
a token to its certificate is the SHA-256 of the certificate's DER (the `x5t#S256`
confirmation of RFC 8705).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from vigie.access_policy.tokens import fingerprint_of

VERIFY_HEADER = "X-SSL-Client-Verify"
CERT_HEADER = "X-SSL-Client-Cert"
OPERATOR_KIND = "operator"
CN_RE = re.compile(r"^(?P<agency>[a-z0-9][a-z0-9-]{0,39})/(?P<operator>[a-z0-9][a-z0-9.-]{0,63})$")


@dataclass(frozen=True)
class Identity:
    agency: str
    operator: str  # pseudonym, e.g. op-0042
    thumbprint: (
        str  # SHA-256 of the certificate's DER, hex (vigie.access_policy.tokens.fingerprint_of)
    )

    @property
    def name(self) -> str:
        return f"{self.agency}/{self.operator}"


@functools.lru_cache(maxsize=4096)
def from_escaped_pem(escaped: str) -> Identity | None:
    """Identity from nginx's `$ssl_client_escaped_cert`; None when unusable."""
    try:
        cert = x509.load_pem_x509_certificate(unquote(escaped).encode())
    except ValueError:
        return None
    if _kinds(cert) != [OPERATOR_KIND]:
        return None
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(cns) != 1:
        return None
    m = CN_RE.match(str(cns[0].value))
    if not m:
        return None
    return Identity(m["agency"], m["operator"], fingerprint_of(cert.public_bytes(_DER)))


def _kinds(cert: x509.Certificate) -> list[str]:
    return [
        str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    ]


def from_headers(headers) -> Identity | None:
    if headers.get(VERIFY_HEADER) != "SUCCESS":
        return None
    escaped = headers.get(CERT_HEADER)
    return from_escaped_pem(escaped) if escaped else None


def refusal(headers) -> str:
    """Why `from_headers` found no operator in these headers, for the journal."""
    if headers.get(VERIFY_HEADER) != "SUCCESS" or not headers.get(CERT_HEADER):
        return "no verified client certificate"
    try:
        cert = x509.load_pem_x509_certificate(unquote(headers[CERT_HEADER]).encode())
    except ValueError:
        return "an unreadable client certificate"
    kinds = _kinds(cert)
    if kinds != [OPERATOR_KIND]:
        said = ", ".join(k[:40] for k in kinds[:3]) or "none"
        return f"a certificate of another kind than an operator's (OU: {said})"
    return "a certificate whose name is not an agency's person (<agency>/<person>)"


_DER = Encoding.DER
