"""Live sessions: which operator watches which grant's camera live, since when, and
what nginx actually delivered to him.

The gateway's path is `/live/<grant>/live.m3u8` and `/live/<grant>/<segment>.ts`; the
recorder's is `<live_path>/<source>/<same name>`. Every request is decided by
`AccessCore.authorize`; this module only keeps the session's account. The service
never sees the bytes (nginx streams them, often from its cache), so nginx logs each
live answer as one JSON line to the service's datagram socket (syslog over a Unix
socket): the journal's `live_session_ended` says what was really served, with the
recorder's answers, not just what was allowed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

PLAYLIST = "live.m3u8"
# The recorder's live segment names (roles/recorder: `live<number>.ts`), nothing else.
SEGMENT = re.compile(r"^live[0-9]{1,20}\.ts$")
GRANT_PATH = re.compile(r"^/live/(?P<grant>[0-9a-f]{16})/(?P<name>[^/?]+)$")
CN = re.compile(r"(?:^|,)CN=(?P<cn>[^,/]+/[^,]+)")
# Log lines of the last answers reach the service after the deadline that ends a
# session: it is journaled this long after its last request.
GRACE_S = 2.0


def valid_name(name: str) -> bool:
    return name == PLAYLIST or SEGMENT.match(name) is not None


@dataclass
class Session:
    grant: str
    agency: str
    operator: str
    camera: str  # the recorder's source key
    started: dt.datetime
    last: dt.datetime
    bytes: int = 0
    segments: int = 0
    playlists: int = 0
    cached: int = 0  # answers nginx gave from its cache (shared with other viewers)
    failed: dict[str, int] = field(default_factory=dict)  # recorder status -> count

    def account(self) -> dict:
        return {
            "grant": self.grant,
            "started": self.started.isoformat(timespec="milliseconds"),
            "seconds": round((self.last - self.started).total_seconds(), 3),
            "bytes": self.bytes,
            "segments": self.segments,
            "playlists": self.playlists,
            "cached": self.cached,
            "failed": dict(self.failed) or None,
        }


class Sessions:
    def __init__(self) -> None:
        self.open: dict[tuple[str, str], Session] = {}

    def touch(self, grant: str, agency: str, operator: str, camera: str, now: dt.datetime):
        """An allowed live request: True when it starts a session."""
        s = self.open.get((grant, operator))
        if s is not None:
            s.last = max(s.last, now)
            return False
        self.open[(grant, operator)] = Session(grant, agency, operator, camera, now, now)
        return True

    def delivered(self, doc: dict) -> None:
        """One of nginx's log lines (see `parse_line`): counted in its session."""
        m = GRANT_PATH.match(str(doc.get("uri", "")))
        cn = CN.search(str(doc.get("dn", "")))
        if not m or not cn:
            return
        s = self.open.get((m["grant"], cn["cn"]))
        if s is None or doc.get("status") not in (200, 206):
            return  # refusals are journaled by the decision itself
        s.bytes += int(doc.get("bytes") or 0)
        if m["name"] == PLAYLIST:
            s.playlists += 1
        else:
            s.segments += 1
        upstream = str(doc.get("upstream") or "")
        if doc.get("cache") == "HIT" or upstream in ("", "-"):
            s.cached += 1
        elif upstream not in ("200", "206"):
            s.failed[upstream[:16]] = s.failed.get(upstream[:16], 0) + 1

    def due(self, now: dt.datetime, why_closed, idle_s: float) -> list[tuple[Session, str]]:
        """Sessions to end now, with why: `why_closed(grant id)` names why the grant's
        live window is closed (None while open); else idle for `idle_s`."""
        out = []
        for s in self.open.values():
            quiet = (now - s.last).total_seconds()
            reason = why_closed(s.grant)
            if reason is not None and quiet >= GRACE_S:
                out.append((s, reason))
            elif quiet >= idle_s:
                out.append((s, "idle"))
        return out

    def close(self, s: Session) -> None:
        self.open.pop((s.grant, s.operator), None)


def parse_line(datagram: bytes) -> dict | None:
    """nginx's syslog datagram `<PRI>date tag: {json}` -> the JSON object."""
    text = datagram.decode("utf-8", "replace")
    start = text.find("{")
    if start < 0:
        return None
    try:
        doc = json.loads(text[start:])
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
