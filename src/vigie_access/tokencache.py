"""Token verification, remembered: the gateway checks the same token on every
segment of a viewer (a segment every 2-6 s, for up to 5 minutes), and the MAC
check and payload decoding were a fifth of a decision's CPU.

What is cached is only what cannot change for the same token string: the claims
of a token whose MAC (over those exact bytes, with the service's key) and
payload were checked once. Everything that depends on time or on the service's
state is checked on EVERY request, as before: expiry, revocation, and then (in
`check`) the certificate binding, camera and window. A forged token never hits
the cache (the key is the whole token, MAC included)."""

from __future__ import annotations

from vigie.access_policy.tokens import Claims, TokenAuthority, TokenError

MAX_CACHED = 65536


class CachedTokens(TokenAuthority):
    # Uses TokenAuthority's clock and revocation list (`_clock`, `_revoked`) so that
    # expiry and revocation mean exactly what they mean there (tests/gateway/test_units.py).
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._known: dict[str, Claims] = {}

    def verify(self, token: str) -> Claims:
        claims = self._known.get(token)
        if claims is None:
            claims = super().verify(token)  # MAC, payload, expiry, revocation
            if len(self._known) >= MAX_CACHED:
                self._forget()
            self._known[token] = claims
            return claims
        now = self._clock()
        if now >= claims.expires:
            self._known.pop(token, None)
            raise TokenError("expired", f"token expired {int(now - claims.expires)} s ago")
        if claims.jti in self._revoked:
            raise TokenError("revoked", "token revoked")
        return claims

    def _forget(self) -> None:
        now = self._clock()
        self._known = {t: c for t, c in self._known.items() if c.expires > now}
        if len(self._known) >= MAX_CACHED:  # all still valid: start afresh
            self._known.clear()
