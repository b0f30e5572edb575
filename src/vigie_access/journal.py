"""Every decision of the service goes to issue 9's Merkle journal (`vigie.audit`).

The journal's signing key lives with the service's keys (created on the host by
`vigie-access keygen`, never in git); its public key (`journal.vkey`, C2SP
verifier key) is what `vigie audit verify JOURNAL --key` checks against.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path

from vigie.audit.journal import ENTRIES, Journal
from vigie.audit.note import NoteError, Signer, Verifier

JOURNAL_KEY = "journal-ed25519.pem"
JOURNAL_VKEY = "journal.vkey"
ORIGIN = "vigie-access"


def ensure_key(folder: Path) -> None:
    """Create the journal's signing key and its public verifier key if missing."""
    key = folder / JOURNAL_KEY
    if not key.exists():
        signer = Signer.generate(ORIGIN)
        # The verifier text must parse back (a `+` inside the base64 part trips
        # Verifier.parse's rsplit today): draw again until it round-trips.
        while not _round_trips(signer):
            signer = Signer.generate(ORIGIN)
        key.write_bytes(signer.pem())
        key.chmod(0o600)
        (folder / JOURNAL_VKEY).write_text(signer.verifier.text() + "\n")


def _round_trips(signer: Signer) -> bool:
    try:
        return Verifier.parse(signer.verifier.text()).text() == signer.verifier.text()
    except NoteError:
        return False


class SharedJournal:
    """The MQTT thread and the HTTP loop both journal, and a decision must not wait
    for the disk: entries go through a queue to one writer thread, in order, which
    appends them and signs a checkpoint every second (fsync there, off the request
    path). `close()` drains the queue and signs a last checkpoint."""

    def __init__(self, path: str | Path, signer: Signer, interval_s: float = 1.0):
        self._journal = Journal(path, signer, origin=ORIGIN, checkpoint_interval_s=1e9)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._interval = interval_s
        self._writer = threading.Thread(target=self._write, name="journal", daemon=True)
        self._writer.start()

    def append(self, entry: dict) -> None:
        self._queue.put(entry)

    def _write(self) -> None:
        last, signed = time.monotonic(), self._journal.size
        while True:
            try:
                entry = self._queue.get(timeout=self._interval)
            except queue.Empty:
                entry = None
            if entry is _STOP:
                return
            if entry is not None:
                self._journal.append(entry)
            if time.monotonic() - last >= self._interval and self._journal.size != signed:
                self._journal.checkpoint()
                last, signed = time.monotonic(), self._journal.size

    def close(self) -> None:
        self._queue.put(_STOP)
        self._writer.join(30)
        self._journal.checkpoint()
        self._journal.close()


_STOP = object()


def open_journal(cfg) -> SharedJournal:
    keys = Path(cfg.keys)
    signer = Signer.from_pem(ORIGIN, (keys / JOURNAL_KEY).read_bytes())
    return SharedJournal(cfg.journal, signer)


def read_entries(path: str | Path) -> list[dict]:
    text = (Path(path) / ENTRIES).read_text()
    return [json.loads(line) for line in text.splitlines() if line]
