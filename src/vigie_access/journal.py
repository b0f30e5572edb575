"""Every decision of the service goes to issue 9's Merkle journal (`vigie.audit`).

The journal's signing key lives with the service's keys (created on the host by
`vigie-access keygen`, never in git); its public key (`journal.vkey`, C2SP
verifier key) is what `vigie audit verify JOURNAL --key` checks against.
"""

from __future__ import annotations

import json
import threading
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
    """The MQTT thread and the HTTP loop both journal: one lock around appends.
    Checkpoints are signed every second at most and at shutdown."""

    def __init__(self, path: str | Path, signer: Signer):
        self._journal = Journal(path, signer, origin=ORIGIN, checkpoint_interval_s=1.0)
        self._lock = threading.Lock()

    def append(self, entry: dict) -> None:
        with self._lock:
            self._journal.append(entry)

    def checkpoint(self) -> str:
        with self._lock:
            return self._journal.checkpoint()

    def close(self) -> None:
        with self._lock:
            self._journal.checkpoint()
            self._journal.close()


def open_journal(cfg) -> SharedJournal:
    keys = Path(cfg.keys)
    signer = Signer.from_pem(ORIGIN, (keys / JOURNAL_KEY).read_bytes())
    return SharedJournal(cfg.journal, signer)


def read_entries(path: str | Path) -> list[dict]:
    text = (Path(path) / ENTRIES).read_text()
    return [json.loads(line) for line in text.splitlines() if line]
