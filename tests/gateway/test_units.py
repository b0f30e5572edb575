"""The pieces of the decision path made faster (the p99 goal) decide exactly
as before: the token cache and the segment name parser."""

from __future__ import annotations

import datetime as dt

import pytest

from vigie.access_policy.tokens import Grant, TokenError
from vigie_access.segments import parse_segment_path, segment_name
from vigie_access.tokencache import CachedTokens

CAMERA, FP, OTHER_FP = "col-a/portail", "ab" * 32, "cd" * 32


@pytest.fixture
def clock():
    return [1_000_000.0]


@pytest.fixture
def tokens(clock):
    return CachedTokens(b"k" * 32, lifetime_s=300, clock=lambda: clock[0])


def issue(tokens, clock):
    t0 = int(clock[0])
    return tokens.issue("dipn78/op-1", FP, Grant("g1", "dipn78", (CAMERA,), t0 - 300, t0, t0))


def test_cached_token_still_checked_for_binding_camera_window(tokens, clock):
    tok = issue(tokens, clock)
    assert tokens.check(tok, FP, CAMERA, start=clock[0] - 10).grant == "g1"
    assert tok in tokens._known  # second check is served from the cache
    for args, code in [
        ((tok, OTHER_FP, CAMERA), "certificate"),
        ((tok, FP, "col-a/hall"), "camera"),
    ]:
        with pytest.raises(TokenError) as e:
            tokens.check(*args, start=clock[0] - 10)
        assert e.value.code == code
    with pytest.raises(TokenError) as e:
        tokens.check(tok, FP, CAMERA, start=clock[0] - 1000)
    assert e.value.code == "window"


def test_cached_token_expires_and_is_revoked(tokens, clock):
    tok = issue(tokens, clock)
    claims = tokens.verify(tok)
    tokens.revoke(claims)
    with pytest.raises(TokenError) as e:
        tokens.verify(tok)
    assert e.value.code == "revoked"
    tok2 = issue(tokens, clock)
    tokens.verify(tok2)
    clock[0] += 301
    with pytest.raises(TokenError) as e:
        tokens.verify(tok2)
    assert e.value.code == "expired"


def test_a_forged_token_never_hits_the_cache(tokens, clock):
    tok = issue(tokens, clock)
    tokens.verify(tok)
    body, _, mac = tok.rpartition(".")
    forged = f"{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    with pytest.raises(TokenError) as e:
        tokens.verify(forged)
    assert e.value.code in ("forged", "malformed")


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2026, 11, 27, 13, 5, 7, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=dt.UTC),
    ],
)
def test_segment_path_round_trip(when):
    seg = parse_segment_path(segment_name("col-a-portail", when))
    assert seg is not None and seg.start == when and seg.source == "col-a-portail"


@pytest.mark.parametrize(
    "path",
    [
        "col-a-portail/2026-11-28/col-a-portail_20261127T130507Z.ts",  # another day's folder
        "col-a-portail/2026-02-30/col-a-portail_20260230T000000Z.ts",  # no such date
        "col-a-portail/2026-11-27/col-a-portail_20261127T246000Z.ts",  # no such time
        "col-a-portail/2026-11-27/col-b-portail_20261127T130507Z.ts",  # another camera
        "col-a-portail/2026-11-27/../col-a-portail_20261127T130507Z.ts",
    ],
)
def test_segment_path_refused(path):
    assert parse_segment_path(path) is None
