"""A witness held by another authority (the DPO): it cosigns a checkpoint only after
checking the log's signature and a consistency proof from the last one it cosigned.

Its state (the last size and root it vouched for) lives in its own file, on its own
host: the log cannot make it forget what it already cosigned.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

from .merkle import verify_consistency
from .note import NoteError, SignedNote, Signer, Verifier


class WitnessRefused(Exception):
    pass


class Witness:
    def __init__(self, signer: Signer, log: Verifier, state: str | Path, *, clock=time.time):
        if signer.verifier.same_key(log):
            raise WitnessRefused("the witness's key is the journal's own key")
        self.signer, self.log, self.state, self._clock = signer, log, Path(state), clock

    def last(self) -> tuple[int, bytes]:
        """The size and root last cosigned; WitnessRefused when the state is unreadable
        (never taken as a fresh start: that would let the log rewrite its history)."""
        if not self.state.exists():
            return 0, b""
        try:
            data = json.loads(self.state.read_text(encoding="utf-8"))
            size, root = data["size"], base64.b64decode(data["root"], validate=True)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise WitnessRefused(f"state {self.state} unreadable: {exc}") from None
        if type(size) is not int or size < 0 or (size and len(root) != 32):
            raise WitnessRefused(f"state {self.state} unreadable: no size and root")
        return size, root

    def cosign(self, note_text: str, proof: list[bytes]) -> str:
        """Return the note with this witness's cosignature, or raise WitnessRefused."""
        try:
            note = SignedNote.parse(note_text)
            cp = note.checkpoint()
        except NoteError as exc:
            raise WitnessRefused(f"not a checkpoint: {exc}") from None
        if note.verify(self.log) is None:
            raise WitnessRefused("checkpoint not signed by the journal's key")
        old_size, old_root = self.last()
        if cp.size < old_size:
            raise WitnessRefused(f"checkpoint {cp.size} is older than {old_size} already cosigned")
        if old_size and not verify_consistency(old_size, cp.size, old_root, cp.root, proof):
            raise WitnessRefused(
                f"checkpoint {cp.size} is not consistent with {old_size} cosigned before"
            )
        note.cosign(self.signer, int(self._clock()))
        # Replaced whole or not at all: a crash never leaves a state that reads as empty.
        tmp = self.state.with_name(f".{self.state.name}.tmp")
        tmp.write_text(
            json.dumps({"size": cp.size, "root": base64.b64encode(cp.root).decode()}),
            encoding="utf-8",
        )
        os.replace(tmp, self.state)
        return note.text()
