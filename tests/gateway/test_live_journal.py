"""The live view fails closed like the clip: while the journal cannot be written
(its tmpfs full), the live playlist and segments are refused with 503, no
MPEG-TS byte reaches the operator, and they are served again once it writes.
Needs root for the tmpfs (test_journal_faults: it fails, never skips)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.gateway.live_viewers import get, grant_for, segments_of, token
from tests.gateway.test_journal_faults import _metric, fill, journal_on_tmpfs, unfill, until  # noqa: F401


@pytest.fixture
def live(gateway):
    proc = gateway.start_live()
    time.sleep(3)
    yield
    proc.terminate()
    proc.wait(10)


def test_live_refused_503_while_the_journal_cannot_write(
    gateway,
    live,
    journal_on_tmpfs,  # noqa: F811 (the fixture)
):
    g = grant_for(gateway, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30), kind="journal")
    op = gateway.op("dipn78")
    tok = token(gateway, op, g["id"])
    playlist = f"/live/{g['id']}/live.m3u8"
    pl = get(gateway, op, playlist, tok)
    assert pl.status_code == 200, pl.text
    fill(journal_on_tmpfs)
    try:
        for _ in range(100):  # the files' last pages may still take a few entries
            first = get(gateway, op, playlist, tok)
            if first.status_code != 200:
                break
        else:
            raise AssertionError("100 live playlists served on a full disk")
        fill(journal_on_tmpfs)
        names = segments_of(pl.text)
        refused = [first, get(gateway, op, playlist, tok)]
        refused += [get(gateway, op, f"/live/{g['id']}/{n}", tok) for n in names[-2:]]
        assert {r.status_code for r in refused} == {503}, [r.status_code for r in refused]
        assert all(not r.content.startswith(b"G") for r in refused)  # no MPEG-TS packet
    finally:
        unfill(journal_on_tmpfs)
    until(lambda: _metric(gateway, "vigie_access_journal_healthy") == 1, 10, "recovery")
    assert get(gateway, op, playlist, tok).status_code == 200
