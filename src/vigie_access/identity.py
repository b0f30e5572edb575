"""Who is asking: the operator's client certificate, verified by nginx (mutual TLS)
and handed to the service in headers on a Unix socket only nginx can reach.

Subject CN is the pseudonymous identity `<agency>/<operator>` (e.g. `dipn78/op-0042`);
the binding of a token to its certificate is the SHA-256 of the certificate's DER
(the `x5t#S256` confirmation of RFC 8705).
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
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(cns) != 1:
        return None
    m = CN_RE.match(str(cns[0].value))
    if not m:
        return None
    return Identity(m["agency"], m["operator"], fingerprint_of(cert.public_bytes(_DER)))


def from_headers(headers) -> Identity | None:
    if headers.get(VERIFY_HEADER) != "SUCCESS":
        return None
    escaped = headers.get(CERT_HEADER)
    return from_escaped_pem(escaped) if escaped else None


_DER = Encoding.DER
