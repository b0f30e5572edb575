"""What the access service must not forget across restarts, in one SQLite file:
events received, grants, outcomes of the levée de doute, exports and requisitions.

Writes are committed before the MQTT message is acknowledged (QoS 1), so an
event the broker handed over is either stored or delivered again.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, origin TEXT NOT NULL, site TEXT NOT NULL, camera TEXT NOT NULL,
  cls TEXT NOT NULL, time TEXT NOT NULL, received TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY, event_id TEXT NOT NULL, agency TEXT NOT NULL, site TEXT NOT NULL,
  camera TEXT NOT NULL, source TEXT NOT NULL, cls TEXT NOT NULL, origin TEXT NOT NULL,
  rule TEXT NOT NULL,
  event_time TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL,
  live_until TEXT NOT NULL, live INTEGER NOT NULL, created TEXT NOT NULL,
  extension_reason TEXT, extended_by TEXT, break_glass TEXT,
  UNIQUE (event_id, agency)
);
CREATE TABLE IF NOT EXISTS joins (
  event_id TEXT NOT NULL, agency TEXT NOT NULL, grant_id TEXT NOT NULL, at TEXT NOT NULL,
  PRIMARY KEY (event_id, agency)
);
CREATE TABLE IF NOT EXISTS outcomes (
  grant_id TEXT PRIMARY KEY, operator TEXT NOT NULL, outcome TEXT NOT NULL,
  service_called TEXT, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exports (
  id TEXT PRIMARY KEY, grant_id TEXT NOT NULL, requested_by TEXT NOT NULL, reason TEXT NOT NULL,
  approved_by TEXT, manifest_sha256 TEXT, created TEXT NOT NULL
);
"""


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


@dataclass(frozen=True)
class Grant:
    id: str
    event_id: str
    agency: str
    site: str
    camera: str
    source: str  # the recorder's folder name: <site>-<camera>
    cls: str
    origin: str  # detector | alarm:<source identity> | requisition | break_glass
    rule: str
    event_time: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    live_until: dt.datetime
    live: bool  # False for a requisition: recorded footage only
    created: dt.datetime
    extension_reason: str | None = None
    extended_by: str | None = None
    break_glass: str | None = None

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items()}
        for k, v in out.items():
            if isinstance(v, dt.datetime):
                out[k] = iso(v)
        return out


_TIMES = ("event_time", "window_start", "window_end", "live_until", "created")


def _grant(row: sqlite3.Row) -> Grant:
    data = dict(row)
    for k in _TIMES:
        data[k] = parse(data[k])
    data["live"] = bool(data["live"])
    return Grant(**data)


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}  # read on every segment: kept in memory
        for row in self._db.execute("SELECT * FROM grants"):
            g = _grant(row)
            self._grants[g.id] = g

    def close(self) -> None:
        self._db.close()

    def add_event(self, event_id: str, origin: str, doc: dict, now: dt.datetime) -> bool:
        """Store an event; False if it was already stored (redelivery)."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?)",
                (
                    event_id,
                    origin,
                    doc["site"],
                    doc["camera"],
                    doc["class"],
                    doc["time"],
                    iso(now),
                    json.dumps(doc, sort_keys=True),
                ),
            )
            return cur.rowcount == 1

    def event(self, event_id: str) -> dict | None:
        row = self._db.execute("SELECT doc FROM events WHERE id=?", (event_id,)).fetchone()
        return json.loads(row["doc"]) if row else None

    def add_grant(self, **fields) -> Grant:
        return self.add_grant_once(**fields)[0]

    def add_grant_once(self, **fields) -> tuple[Grant, bool]:
        """The grant of (event, agency), and whether this call created it (an event
        delivered again never doubles a grant nor its notification)."""
        g = Grant(id=fields.pop("id", None) or uuid.uuid4().hex[:16], **fields)
        row = g.as_dict()
        row["live"] = int(g.live)
        cols = ",".join(row)
        with self._lock:
            cur = self._db.execute(
                f"INSERT OR IGNORE INTO grants ({cols}) VALUES ({','.join('?' * len(row))})",
                tuple(row.values()),
            )
            stored = self._db.execute(
                "SELECT * FROM grants WHERE event_id=? AND agency=?", (g.event_id, g.agency)
            ).fetchone()
            g = _grant(stored)
            self._grants[g.id] = g
        return g, cur.rowcount == 1

    def join(
        self,
        grant_id: str,
        event_id: str,
        window_end: dt.datetime,
        live_until: dt.datetime,
        now: dt.datetime,
    ) -> Grant:
        """An event joins an open grant of its agency: recorded (an event delivered
        again joins it once), the grant's window and live view extended to the times
        given if later (the operator's one extension is left untouched)."""
        with self._lock:
            g = self._grants[grant_id]
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO joins VALUES (?,?,?,?)",
                    (event_id, g.agency, grant_id, iso(now)),
                )
                self._db.execute(
                    "UPDATE grants SET window_end=?, live_until=? WHERE id=?",
                    (
                        iso(max(g.window_end, window_end)),
                        iso(max(g.live_until, live_until)),
                        grant_id,
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            row = self._db.execute("SELECT * FROM grants WHERE id=?", (grant_id,)).fetchone()
            g = self._grants[grant_id] = _grant(row)
            return g

    def viewing_since(self, source: str, agency: str, cls: str, since: dt.datetime) -> float:
        """Seconds of viewing windows granted to the agency on the camera for the class
        by grants created at or after `since` (the grant cap's sliding period)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT window_start, window_end FROM grants"
                " WHERE source=? AND agency=? AND cls=? AND created>=?",
                (source, agency, cls, iso(since)),
            ).fetchall()
        return sum((parse(end) - parse(start)).total_seconds() for start, end in rows)

    def has_grant(self, event_id: str, agency: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM grants WHERE event_id=? AND agency=?", (event_id, agency)
            ).fetchone()
        return row is not None

    def joined(self, event_id: str, agency: str) -> Grant | None:
        """The grant an event joined for this agency, if it joined one."""
        row = self._db.execute(
            "SELECT grant_id FROM joins WHERE event_id=? AND agency=?", (event_id, agency)
        ).fetchone()
        return self._grants.get(row["grant_id"]) if row else None

    def grant(self, grant_id: str) -> Grant | None:
        return self._grants.get(grant_id)

    def grants(self, agency: str | None = None) -> list[Grant]:
        out = [g for g in self._grants.values() if agency is None or g.agency == agency]
        return sorted(out, key=lambda g: g.event_time, reverse=True)

    def extend(
        self,
        grant_id: str,
        live_until: dt.datetime,
        window_end: dt.datetime,
        operator: str,
        reason: str,
    ) -> Grant | None:
        """The one extension a grant may have; None when it already had it."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE grants SET live_until=?, window_end=?, extension_reason=?, extended_by=? "
                "WHERE id=? AND extension_reason IS NULL",
                (iso(live_until), iso(window_end), reason, operator, grant_id),
            )
            if cur.rowcount != 1:
                return None
            row = self._db.execute("SELECT * FROM grants WHERE id=?", (grant_id,)).fetchone()
            g = self._grants[grant_id] = _grant(row)
            return g

    def revoke(self, grant_id: str, now: dt.datetime) -> Grant:
        """The grant's view ends now (never later than it would have)."""
        with self._lock:
            g = self._grants[grant_id]
            self._db.execute(
                "UPDATE grants SET live_until=? WHERE id=?",
                (iso(min(g.live_until, now)), grant_id),
            )
            row = self._db.execute("SELECT * FROM grants WHERE id=?", (grant_id,)).fetchone()
            g = self._grants[grant_id] = _grant(row)
            return g

    def set_outcome(
        self, grant_id: str, operator: str, outcome: str, service: str | None, now: dt.datetime
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO outcomes VALUES (?,?,?,?,?)",
                (grant_id, operator, outcome, service, iso(now)),
            )

    def outcomes(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT o.*, g.site, g.camera, g.cls, g.agency FROM outcomes o "
            "JOIN grants g ON g.id = o.grant_id"
        )
        return [dict(r) for r in rows]

    def add_export(self, grant_id: str, operator: str, reason: str, now: dt.datetime) -> str:
        export_id = uuid.uuid4().hex[:16]
        with self._lock:
            self._db.execute(
                "INSERT INTO exports VALUES (?,?,?,?,?,?,?)",
                (export_id, grant_id, operator, reason, None, None, iso(now)),
            )
        return export_id

    def export(self, export_id: str) -> dict | None:
        row = self._db.execute("SELECT * FROM exports WHERE id=?", (export_id,)).fetchone()
        return dict(row) if row else None

    def exports_of(self, grant_id: str) -> list[dict]:
        rows = self._db.execute("SELECT * FROM exports WHERE grant_id=?", (grant_id,))
        return [dict(r) for r in rows]

    def approve_export(self, export_id: str, approver: str, manifest_sha256: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE exports SET approved_by=?, manifest_sha256=? "
                "WHERE id=? AND approved_by IS NULL",
                (approver, manifest_sha256, export_id),
            )
            return cur.rowcount == 1
