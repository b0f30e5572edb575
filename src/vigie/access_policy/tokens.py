"""Short-lived viewing tokens, checked on every playlist and segment request.

A token is `v1.<payload>.<mac>`: a compact JSON payload (base64url) and its
HMAC-SHA256 under the gateway's secret key. The gateway both issues and checks
tokens, so a shared-key MAC is enough and costs a few microseconds (an Ed25519
signature would cost ~20x more per segment for no gain). Each token is bound to:

- the operator's client certificate (SHA-256 fingerprint): replayed from
  another certificate, it is refused;
- a grant: its cameras, its recorded window, its live window;
- a short lifetime (at most 5 minutes) and an id (`jti`) that can be revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

MAX_LIFETIME_S = 300
PREFIX = b"v1."


@dataclass(frozen=True, slots=True)
class Grant:
    """What one agency may see for one event (created by the gateway at grant time).

    Times are POSIX seconds: `window_start`..`window_end` is the recorded footage
    granted; live view is allowed until `live_until` (0: no live view).
    """

    id: str
    agency: str
    cameras: tuple[str, ...]
    window_start: int
    window_end: int
    live_until: int = 0


@dataclass(frozen=True, slots=True)
class Claims:
    operator: str
    fingerprint: str
    grant: str
    cameras: tuple[str, ...]
    window_start: int
    window_end: int
    live_until: int
    expires: int
    jti: str


class TokenError(Exception):
    """A refused token. `code` is stable (journaled): malformed, forged, expired,
    revoked, certificate, camera, window, live-ended."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def fingerprint_of(cert_der: bytes) -> str:
    """The binding: SHA-256 of the client certificate (DER), lower-case hex."""
    return hashlib.sha256(cert_der).hexdigest()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


class TokenAuthority:
    """Issues and verifies tokens with one secret key (32 bytes or more, never in git)."""

    def __init__(self, key: bytes, *, lifetime_s: int = MAX_LIFETIME_S, clock=time.time):
        if len(key) < 32:
            raise ValueError("the token key must be at least 32 bytes")
        if not 1 <= lifetime_s <= MAX_LIFETIME_S:
            raise ValueError(f"token lifetime must be 1..{MAX_LIFETIME_S} s")
        self._key = key
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._revoked: dict[str, int] = {}  # jti -> expiry (forgotten once expired)

    @classmethod
    def from_key_file(cls, path: str | Path, **kwargs) -> TokenAuthority:
        return cls(Path(path).read_bytes().strip(), **kwargs)

    @staticmethod
    def new_key() -> bytes:
        return secrets.token_bytes(32)

    def _mac(self, signed: bytes) -> bytes:
        return hmac.new(self._key, signed, hashlib.sha256).digest()

    def issue(self, operator: str, fingerprint: str, grant: Grant) -> str:
        now = int(self._clock())
        payload = {
            "o": operator,
            "f": fingerprint.lower().replace(":", ""),
            "g": grant.id,
            "c": list(grant.cameras),
            "ws": grant.window_start,
            "we": grant.window_end,
            "lu": grant.live_until,
            "exp": now + self.lifetime_s,
            "jti": secrets.token_urlsafe(12),
        }
        signed = PREFIX + _b64(json.dumps(payload, separators=(",", ":")).encode())
        return (signed + b"." + _b64(self._mac(signed))).decode()

    def revoke(self, claims: Claims) -> None:
        """Refuse this token from now on (grant closed, operator logged out)."""
        self._revoked[claims.jti] = claims.expires

    def verify(self, token: str) -> Claims:
        """Check the MAC, the expiry and the revocation list; return the claims."""
        raw = token.encode()
        signed, dot, mac = raw.rpartition(b".")
        if not dot or not signed.startswith(PREFIX):
            raise TokenError("malformed", "not a vigie token")
        try:
            good = hmac.compare_digest(_unb64(mac), self._mac(signed))
        except ValueError:
            raise TokenError("malformed", "bad token encoding") from None
        if not good:
            raise TokenError("forged", "token signature does not match")
        try:
            p = json.loads(_unb64(signed[len(PREFIX) :]))
            claims = Claims(
                p["o"], p["f"], p["g"], tuple(p["c"]), p["ws"], p["we"], p["lu"], p["exp"], p["jti"]
            )
        except (ValueError, KeyError, TypeError):
            raise TokenError("malformed", "bad token payload") from None
        now = self._clock()
        if now >= claims.expires:
            raise TokenError("expired", f"token expired {int(now - claims.expires)} s ago")
        if claims.jti in self._revoked:
            raise TokenError("revoked", "token revoked")
        return claims

    def check(
        self,
        token: str,
        fingerprint: str,
        camera: str,
        *,
        start: float,
        end: float | None = None,
        live: bool = False,
    ) -> Claims:
        """The per-request check of the gateway: token valid, presented with the certificate
        it was issued to, for a camera of the grant, and the segment [start, end] inside the
        granted window (or, for live view, before the live window ends)."""
        claims = self.verify(token)
        if not hmac.compare_digest(claims.fingerprint, fingerprint.lower().replace(":", "")):
            raise TokenError("certificate", "token presented with another certificate")
        if camera not in claims.cameras:
            raise TokenError("camera", f"camera {camera} is not in the grant")
        if live:
            if self._clock() >= claims.live_until:
                raise TokenError("live-ended", "the live window has ended")
        elif not (
            claims.window_start <= start
            and (end if end is not None else start) <= claims.window_end
        ):
            raise TokenError("window", "segment outside the granted window")
        return claims

    def forget_expired(self) -> None:
        now = self._clock()
        self._revoked = {j: e for j, e in self._revoked.items() if e > now}
