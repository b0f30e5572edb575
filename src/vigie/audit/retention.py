"""The journal's retention (default 3 years, `access.journal_retention_days`), enforced.

A Merkle journal cannot forget an entry without breaking every later proof, so the
journal is kept as a series of monthly journals under one root:

    ROOT/2026-11/   a complete journal (entries, leaves, checkpoints), verifiable alone
    ROOT/2026-12/

`JournalSet.current()` opens the journal of the current month (signing a final
checkpoint of the previous one); `enforce()` deletes the monthly journals whose
last day is older than the retention, and records each deletion in the current
journal with the deleted journal's final signed checkpoint (size and root), so an
auditor sees what was removed, when and why.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from .journal import Journal, read_checkpoints
from .note import Signer

MONTH = "%Y-%m"


def month_of(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime(MONTH)


def month_end(month: str) -> dt.datetime:
    first = dt.datetime.strptime(month, MONTH).replace(tzinfo=dt.UTC)
    return (first + dt.timedelta(days=32)).replace(day=1)


class JournalSet:
    def __init__(
        self, root: str | Path, key: Signer, *, retention_days: int = 1095, clock=time.time, **kw
    ):
        self.root, self.key, self.retention_days = Path(root), key, retention_days
        self._clock, self._kw = clock, kw
        self._journal: Journal | None = None
        self._month = ""
        self.root.mkdir(parents=True, exist_ok=True)

    def months(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _is_month(p.name))

    def current(self) -> Journal:
        month = month_of(self._clock())
        if self._journal is None or month != self._month:
            if self._journal is not None:
                self._journal.checkpoint()
                self._journal.close()
            self._journal = Journal(self.root / month, self.key, clock=self._clock, **self._kw)
            self._month = month
        return self._journal

    def append(self, entry: dict) -> int:
        return self.current().append(entry)

    def enforce(self) -> list[str]:
        """Delete the monthly journals past retention; returns the months deleted."""
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        limit = now - dt.timedelta(days=self.retention_days)
        deleted = []
        for month in self.months():
            if month == self._month or month_end(month) > limit:
                continue
            notes = read_checkpoints(self.root / month)
            final = notes[-1].checkpoint() if notes else None
            self.append(
                {
                    "action": "retention_purge",
                    "decision": "allow",
                    "journal": month,
                    "size": final.size if final else 0,
                    "root": final.root.hex() if final else "",
                    "rule": "ACCESS-JOURNAL-RETENTION",
                    "reason": f"older than {self.retention_days} days",
                }
            )
            self.current().checkpoint()
            shutil.rmtree(self.root / month)
            deleted.append(month)
        return deleted

    def close(self) -> None:
        if self._journal is not None:
            self._journal.checkpoint()
            self._journal.close()
            self._journal = None


def _is_month(name: str) -> bool:
    try:
        dt.datetime.strptime(name, MONTH)
    except ValueError:
        return False
    return True
