"""Helpers of the live-view tests: grants, tokens, live requests, the journal and
the recorder's access log (what really reached the recorder)."""

from __future__ import annotations

import datetime as dt
import re
import time

from tests.gateway.services import CAMERA, SITE
from vigie.desired import LIVE_PATH

SOURCE = f"{SITE}-{CAMERA}"
SEGMENT_LINE = re.compile(r"^live\d+\.ts$")


def grant_for(gw, when: dt.datetime, cls: str = "intrusion", kind: str = "person") -> dict:
    doc = gw.publish_event(f"{SITE}-det1", SITE, CAMERA, cls, when, kind=kind)
    return gw.wait_grant(gw.op("dipn78"), doc["time"])


def token(gw, cn: str, grant_id: str) -> str:
    r = gw.operator(cn).post(f"{gw.url}/api/grants/{grant_id}/token", timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def get(gw, cn: str, path: str, tok: str | None, session=None):
    s = session or gw.operator(cn)
    headers = {"Authorization": f"Bearer {tok}"} if tok else {}
    return s.get(f"{gw.url}{path}", headers=headers, timeout=10)


def segments_of(playlist: str) -> list[str]:
    return [x for x in playlist.splitlines() if x and not x.startswith("#")]


def journaled(gw, since: int, timeout: float = 5, **match) -> dict:
    """The first journal entry after `since` whose fields (and actor's operator, as
    `operator=`) match; waits for the journal's group commit, bounded."""
    operator = match.pop("operator", None)
    end = time.monotonic() + timeout
    while True:
        for e in gw.journal_entries()[since:]:
            if operator not in (None, e.get("actor", {}).get("operator")):
                continue
            if all(e.get(k) == v for k, v in match.items()):
                return e
        if time.monotonic() > end:
            raise AssertionError(f"no journal entry {match} for {operator}")
        time.sleep(0.05)


def recorder_requests(gw) -> list[str]:
    """The paths the recorder's segment server was asked, from its access log."""
    log = gw.root / "recorder/access.log"
    assert log.exists(), "the recorder's access log is off (VIGIE_NGINX_ACCESS_LOG)"
    out = []
    for line in log.read_text().splitlines():
        m = re.search(r'"(?:GET|HEAD) (\S+) HTTP', line)
        if m:
            out.append(m[1])
    return out


def live_requests(gw) -> list[str]:
    return [p for p in recorder_requests(gw) if p.startswith(f"{LIVE_PATH}/")]
