"""What nginx really delivered to each viewer, and when his viewing ends.

Every request of `/hls/` (the recorded window: playlist, segments, still images) and
`/live/` is decided by `AccessCore.authorize` and journaled before it is served
(`<kind>_allowed` / `<kind>_refused`): that entry says what was allowed, not what
reached the operator. The service never sees the bytes (nginx fetches them from the
recorder or the still-image server, a live segment often from its cache), so nginx
logs each answer of those locations as one JSON line to the service's datagram socket
(syslog over a Unix socket). A session per way of viewing, grant and operator counts
them, and its end is journaled (`replay_session_ended`, `live_session_ended`) with
what was delivered and every allowed request that was not (the recorder's 404, an
unreachable recorder's 502), by the status the operator got.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

PLAYLISTS = ("index.m3u8", "live.m3u8")
SNAPSHOTS = "snapshots/"
# The gateway's viewing paths: `/hls/<grant>/<name>` replays, `/live/<grant>/<name>`.
VIEW_PATH = re.compile(r"^/(?P<way>hls|live)/(?P<grant>[0-9a-f]{16})/(?P<name>[^?]+)")
WAYS = {"hls": "replay", "live": "live"}
CN = re.compile(r"(?:^|,)CN=(?P<cn>[^,/]+/[^,]+)")
# Log lines of the last answers reach the service after the deadline that ends a
# session: it is journaled this long after its last request.
GRACE_S = 2.0


@dataclass
class Session:
    way: str  # "replay" or "live"
    grant: str
    agency: str
    operator: str
    camera: str  # the recorder's source key
    started: dt.datetime
    last: dt.datetime
    bytes: int = 0
    segments: int = 0
    playlists: int = 0
    snapshots: int = 0
    cached: int = 0  # answers nginx gave from its cache (shared with other viewers)
    failed: dict[str, int] = field(default_factory=dict)  # status the operator got -> count

    def account(self) -> dict:
        return {
            "grant": self.grant,
            "started": self.started.isoformat(timespec="milliseconds"),
            "seconds": round((self.last - self.started).total_seconds(), 3),
            "bytes": self.bytes,
            "segments": self.segments,
            "playlists": self.playlists,
            "snapshots": self.snapshots,
            "cached": self.cached,
            "failed": dict(self.failed) or None,
        }


class Sessions:
    def __init__(self) -> None:
        self.open: dict[tuple[str, str, str], Session] = {}

    def is_open(self, way: str, grant: str, operator: str) -> bool:
        return (way, grant, operator) in self.open

    def touch(self, way: str, grant: str, agency: str, operator: str, camera: str, now):
        """An allowed request: True when it starts a session."""
        s = self.open.get((way, grant, operator))
        if s is not None:
            s.last = max(s.last, now)
            return False
        self.open[(way, grant, operator)] = Session(way, grant, agency, operator, camera, now, now)
        return True

    def delivered(self, doc: dict) -> None:
        """One of nginx's log lines (see `parse_line`): counted in its session. Only
        answers to requests the service allowed (`auth` 2xx) count; a refusal is
        journaled by the decision itself."""
        m = VIEW_PATH.match(str(doc.get("uri", "")))
        cn = CN.search(str(doc.get("dn", "")))
        if not m or not cn:
            return
        s = self.open.get((WAYS[m["way"]], m["grant"], cn["cn"]))
        if s is None or not str(doc.get("auth", "")).strip().startswith("2"):
            return
        status = doc.get("status")
        if status not in (200, 206):
            key = str(status)[:16]
            s.failed[key] = s.failed.get(key, 0) + 1
            return
        s.bytes += _count(doc.get("bytes"))
        name = m["name"]
        if name in PLAYLISTS:
            s.playlists += 1
        elif name.startswith(SNAPSHOTS):
            s.snapshots += 1
        else:
            s.segments += 1
        if doc.get("cache") == "HIT" or str(doc.get("upstream") or "") in ("", "-"):
            s.cached += 1

    def due(self, now: dt.datetime, why_closed, idle_s: float) -> list[tuple[Session, str]]:
        """Sessions to end now, with why: `why_closed(session)` names why its grant no
        longer allows that way of viewing (None while it does); else idle for `idle_s`."""
        out = []
        for s in self.open.values():
            quiet = (now - s.last).total_seconds()
            reason = why_closed(s)
            if reason is not None and quiet >= GRACE_S:
                out.append((s, reason))
            elif quiet >= idle_s:
                out.append((s, "idle"))
        return out

    def close(self, s: Session) -> None:
        self.open.pop((s.way, s.grant, s.operator), None)


def _count(value) -> int:
    """A byte count from nginx's line; 0 for anything that is not one (the socket
    is nginx's, but a line is never trusted to be well formed)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def parse_line(datagram: bytes) -> dict | None:
    """nginx's syslog datagram `<PRI>date tag: {json}` -> the JSON object."""
    text = datagram.decode("utf-8", "replace")
    start = text.find("{")
    if start < 0:
        return None
    try:
        doc = json.loads(text[start:])
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None
    return doc if isinstance(doc, dict) else None
