"""Viewing tokens: every refusal the gateway must make, each with its stable code."""

from __future__ import annotations

import pytest

from vigie.access_policy.tokens import Grant, TokenAuthority, TokenError, fingerprint_of

CAM = "col-houdan/portail"
FP = fingerprint_of(b"certificate of ggd78/op-0007")
OTHER_FP = fingerprint_of(b"certificate of ggd78/op-0008")


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock(10_000.0)


@pytest.fixture
def authority(clock):
    return TokenAuthority(b"k" * 32, lifetime_s=300, clock=clock)


@pytest.fixture
def grant():
    return Grant("g-1", "ggd78", (CAM,), window_start=9_700, window_end=10_900, live_until=10_900)


def refused(authority, token, fp=FP, camera=CAM, **kw) -> str:
    kw.setdefault("start", 9_800)
    with pytest.raises(TokenError) as exc:
        authority.check(token, fp, camera, **kw)
    return exc.value.code


def test_a_valid_token_passes(authority, grant):
    token = authority.issue("ggd78/op-0007", FP, grant)
    claims = authority.check(token, FP.upper(), CAM, start=9_800, end=9_804)
    assert claims.operator == "ggd78/op-0007" and claims.grant == "g-1"
    assert authority.check(token, FP, CAM, start=10_100, live=True).cameras == (CAM,)


def test_replayed_with_another_certificate(authority, grant):
    token = authority.issue("ggd78/op-0007", FP, grant)
    assert refused(authority, token, fp=OTHER_FP) == "certificate"


def test_expired(authority, grant, clock):
    token = authority.issue("ggd78/op-0007", FP, grant)
    clock.now += 300
    assert refused(authority, token) == "expired"


def test_revoked(authority, grant):
    token = authority.issue("ggd78/op-0007", FP, grant)
    authority.revoke(authority.verify(token))
    assert refused(authority, token) == "revoked"


def test_forged_payload_or_key(authority, grant, clock):
    token = authority.issue("ggd78/op-0007", FP, grant)
    head, payload, mac = token.split(".")
    other = TokenAuthority(b"x" * 32, clock=clock).issue("ggd78/op-0007", FP, grant)
    assert refused(authority, other) == "forged"
    wider = TokenAuthority(b"x" * 32, clock=clock).issue(
        "ggd78/op-0007", FP, Grant("g-1", "ggd78", (CAM, "col-houdan/couloir"), 0, 99_999)
    )
    assert refused(authority, ".".join([head, wider.split(".")[1], mac])) == "forged"
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    assert refused(authority, ".".join([head, payload, flipped])) == "forged"


@pytest.mark.parametrize("token", ["", "v1.", "v2.abc.def", "garbage", "v1.@@@.###"])
def test_malformed(authority, token):
    assert refused(authority, token) in {"malformed", "forged"}


def test_camera_outside_the_grant(authority, grant):
    token = authority.issue("ggd78/op-0007", FP, grant)
    assert refused(authority, token, camera="col-houdan/couloir") == "camera"


@pytest.mark.parametrize(("start", "end"), [(9_000, 9_004), (10_898, 10_902), (11_000, None)])
def test_segment_outside_the_window(authority, grant, start, end):
    token = authority.issue("ggd78/op-0007", FP, grant)
    assert refused(authority, token, start=start, end=end) == "window"


def test_live_view_ends(authority, clock):
    short_live = Grant("g-2", "ggd78", (CAM,), 9_700, 10_900, live_until=10_200)
    token = authority.issue("ggd78/op-0007", FP, short_live)
    clock.now = 10_199
    authority.check(token, FP, CAM, start=clock.now, live=True)
    clock.now = 10_200
    assert refused(authority, token, live=True) == "live-ended"
    no_live = Grant("g-3", "ggd78", (CAM,), 9_700, 10_900, live_until=0)
    assert refused(authority, authority.issue("ggd78/op-0007", FP, no_live), live=True) == (
        "live-ended"
    )


def test_key_and_lifetime_limits():
    with pytest.raises(ValueError):
        TokenAuthority(b"short")
    with pytest.raises(ValueError):
        TokenAuthority(b"k" * 32, lifetime_s=301)
