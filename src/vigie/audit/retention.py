"""The journal's retention (default 3 years, `access.journal_retention_days`), enforced.

A Merkle journal cannot forget an entry without breaking every later proof, so the
journal is kept as a series of monthly journals under one root:

    ROOT/2026-11/   a complete journal (entries, leaves, checkpoints), verifiable alone
    ROOT/2026-12/

`JournalSet.current()` opens the journal of the current month (signing a final
checkpoint of the previous one). The months are chained: a month's journal opens
with an entry (`action: journal_opened`) naming the month before it in the set and
recording that month's final signed checkpoint (its size, root and the signed note
itself); the first month of a deployment says it is the first (`first: true`).
`vigie audit verify-all ROOT` checks every month and every link, so a month removed,
swapped, renamed or rewritten is named. `enforce()` deletes the monthly journals whose
last day is older than the retention, and records each deletion in the current
journal with the deleted journal's final signed checkpoint (size and root), so an
auditor sees what was removed, when and why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import time
from pathlib import Path

from .journal import MAX_VALUE, Journal, JournalError, read_checkpoints
from .note import NoteError, SignedNote, Signer

MONTH = "%Y-%m"
OPENED = "journal_opened"  # the action of a month's opening entry, its link
CHAIN_RULE = "ACCESS-JOURNAL-CHAIN"


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
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and is_month(p.name))

    def current(self) -> Journal:
        month = month_of(self._clock())
        if self._journal is None or month != self._month:
            if self._journal is not None:
                self._journal.checkpoint()
                self._journal.close()
                self._journal = None
            journal = Journal(self.root / month, self.key, clock=self._clock, **self._kw)
            if journal.size == 0:
                try:
                    journal.append(self._opening(month))
                    journal.checkpoint()
                except BaseException:  # a full disk: cut back, files closed, try again later
                    with contextlib.suppress(OSError):
                        journal.rollback()
                    raise
            self._journal, self._month = journal, month
        return self._journal

    def _opening(self, month: str) -> dict:
        """The entry a month's journal opens with: its link to the month before it."""
        entry = {"action": OPENED, "decision": "allow", "journal": month, "rule": CHAIN_RULE}
        before = [m for m in self.months() if m < month]
        if not before:
            return {**entry, "previous": "", "first": True,
                    "reason": "first month of this deployment"}  # fmt: skip
        previous = before[-1]
        text, problem = self._final_note(previous)
        entry.update(previous=previous, reason=f"continues the journal of {previous}")
        if problem:
            entry["problem"] = problem[:MAX_VALUE]
        if text is None:
            return {**entry, "previous_size": 0, "previous_root": "", "previous_checkpoint": ""}
        cp = SignedNote.parse(text).checkpoint()
        return {
            **entry,
            "previous_size": cp.size,
            "previous_root": cp.root.hex(),
            "previous_checkpoint": text,
        }

    def _final_note(self, month: str) -> tuple[str | None, str]:
        """The final signed checkpoint of a closed month (its tail signed now if a crash
        left one), as the journal's key signed it; and what went wrong, if anything."""
        try:
            with Journal(self.root / month, self.key, clock=self._clock, **self._kw) as old:
                text = old.checkpoint()
            problem = ""
        except (OSError, JournalError, NoteError) as exc:  # recorded, never blocking
            problem = f"{month}: {exc}"
            try:
                notes = read_checkpoints(self.root / month)
            except (OSError, NoteError):
                notes = []
            if not notes:
                return None, problem
            text = notes[-1].text()
        note = SignedNote.parse(text)
        if len(text) > MAX_VALUE:  # many cosignatures: the journal's own signature is enough
            note.signatures = [s for s in note.signatures if s[0] == self.key.name]
            text = note.text()
        return text, problem

    def tick(self) -> bool:
        """Sign the current month's tail if its interval has passed (see `Journal.tick`)."""
        return self.current().tick()

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


def is_month(name: str) -> bool:
    """`YYYY-MM` exactly (`2026-1` is not a month's journal)."""
    try:
        return dt.datetime.strptime(name, MONTH).strftime(MONTH) == name
    except ValueError:
        return False
