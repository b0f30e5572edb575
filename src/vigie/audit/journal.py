"""The audit journal: append-only entries, Merkle tree, signed checkpoints.

A journal is a directory:

    entries.jsonl          one entry per line: `{"seq":N,...}` (canonical JSON, sorted keys)
    leaves.bin             the 32-byte leaf hash of each entry, as appended
    checkpoints/<size>     a C2SP checkpoint signed by the journal's key, plus the
                           witness's cosignature once it has checked consistency

Entry bytes are the line without its newline; leaf = SHA-256(0x00 || bytes).
`leaves.bin` lets `verify` name the exact entry edited in place; the signed
checkpoints catch a rewrite that also recomputed `leaves.bin`.
No image is ever journaled: values are text or numbers, 4 KiB at most.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .merkle import CompactTree, Levels, leaf_hash
from .note import Checkpoint, SignedNote, Signer

ENTRIES, LEAVES, CHECKPOINTS = "entries.jsonl", "leaves.bin", "checkpoints"
MAX_VALUE = 4096


class JournalError(Exception):
    pass


def entry_line(seq: int, entry: dict) -> bytes:
    """The canonical bytes of an entry: `seq` first, then the other keys sorted."""
    body = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b'{"seq":%d,' % seq + body[1:].encode() if len(body) > 2 else b'{"seq":%d}' % seq


def _check_value(key: str, value) -> None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise JournalError(f"{key}: binary data (an image?) is never journaled")
    if isinstance(value, str) and len(value) > MAX_VALUE:
        raise JournalError(f"{key}: value longer than {MAX_VALUE} characters")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_value(f"{key}.{k}", v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_value(key, v)


def checkpoint_name(size: int) -> str:
    return f"{size:020d}"


class Journal:
    """Append entries; sign a checkpoint every `checkpoint_every` entries, every
    `checkpoint_interval_s` seconds (checked on append) and on demand."""

    def __init__(
        self,
        path: str | Path,
        key: Signer,
        *,
        origin: str | None = None,
        checkpoint_every: int = 1000,
        checkpoint_interval_s: float = 5.0,
        clock=time.time,
    ):
        self.path = Path(path)
        self.key = key
        self.origin = origin or key.name
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval_s = checkpoint_interval_s
        self._clock = clock
        (self.path / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
        self._leaves: list[bytes] = []
        self._tree = CompactTree()
        self._load()
        self._entries = open(self.path / ENTRIES, "ab")  # noqa: SIM115 (kept open)
        self._leaf_file = open(self.path / LEAVES, "ab")  # noqa: SIM115
        self._last_checkpoint = self._clock()
        self._since_checkpoint = 0

    def _load(self) -> None:
        """Rebuild the tree from the entries; refuse a journal that no longer matches
        its latest checkpoint (run `vigie audit verify` to find out why)."""
        entries = self.path / ENTRIES
        if not entries.exists():
            return
        data = entries.read_bytes()
        lines = data.split(b"\n")
        if lines[-1]:  # a line cut by a crash: drop it (it was never checkpointed)
            with open(entries, "r+b") as f:
                f.truncate(len(data) - len(lines[-1]))
        self._leaves = [leaf_hash(line) for line in lines[:-1]]
        for leaf in self._leaves:
            self._tree.append(leaf)
        (self.path / LEAVES).write_bytes(b"".join(self._leaves))
        latest = self.latest_checkpoint()
        if latest is not None:
            cp = latest.checkpoint()
            if cp.size > self.size or Levels(self._leaves).root(cp.size) != cp.root:
                raise JournalError(
                    f"{self.path}: entries do not match checkpoint {cp.size}; "
                    "run `vigie audit verify`"
                )

    @property
    def size(self) -> int:
        return self._tree.size

    def append(self, entry: dict) -> int:
        """Journal one decision; returns its index. `time` is added when absent."""
        if "action" not in entry or "decision" not in entry:
            raise JournalError("an entry has at least `action` and `decision`")
        if "seq" in entry:
            raise JournalError("`seq` is set by the journal")
        for key, value in entry.items():
            _check_value(key, value)
        if "time" not in entry:
            entry = {**entry, "time": round(self._clock(), 3)}
        seq = self._tree.size
        line = entry_line(seq, entry)
        leaf = leaf_hash(line)
        self._entries.write(line + b"\n")
        self._leaf_file.write(leaf)
        self._leaves.append(leaf)
        self._tree.append(leaf)
        self._since_checkpoint += 1
        if self._since_checkpoint >= self.checkpoint_every or (
            self._clock() - self._last_checkpoint >= self.checkpoint_interval_s
        ):
            self.checkpoint()
        else:
            self._entries.flush()
            self._leaf_file.flush()
        return seq

    def flush(self, *, sync: bool = False) -> None:
        for f in (self._entries, self._leaf_file):
            f.flush()
            if sync:
                os.fsync(f.fileno())

    def checkpoint(self) -> str:
        """Sign the current tree head; entries are on disk (fsync) before it is written.
        Nothing appended since the last one: that one (perhaps cosigned) is returned."""
        existing = self.path / CHECKPOINTS / checkpoint_name(self.size)
        if self._since_checkpoint == 0 and existing.exists():
            return existing.read_text(encoding="utf-8")
        self.flush(sync=True)
        note = SignedNote(Checkpoint(self.origin, self.size, self._tree.root()).body())
        note.sign(self.key)
        self._write_checkpoint(self.size, note.text())
        self._last_checkpoint = self._clock()
        self._since_checkpoint = 0
        return note.text()

    def _write_checkpoint(self, size: int, text: str) -> None:
        final = self.path / CHECKPOINTS / checkpoint_name(size)
        tmp = final.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, final)

    def add_cosignature(self, cosigned: str) -> None:
        """Store the witness's cosigned checkpoint in place of the plain one."""
        size = SignedNote.parse(cosigned).checkpoint().size
        if not (self.path / CHECKPOINTS / checkpoint_name(size)).exists():
            raise JournalError(f"no checkpoint of size {size} to cosign")
        self._write_checkpoint(size, cosigned)

    def checkpoints(self) -> list[SignedNote]:
        return read_checkpoints(self.path)

    def latest_checkpoint(self) -> SignedNote | None:
        found = read_checkpoints(self.path)
        return found[-1] if found else None

    def root(self, size: int | None = None) -> bytes:
        return Levels(self._leaves).root(self.size if size is None else size)

    def prove_inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise JournalError(f"no entry {index} in a tree of {size}")
        return Levels(self._leaves[:size]).inclusion(index, size)

    def prove_consistency(self, old: int, new: int | None = None) -> list[bytes]:
        new = self.size if new is None else new
        if not 0 <= old <= new <= self.size:
            raise JournalError(f"no consistency proof from {old} to {new}")
        return Levels(self._leaves[:new]).consistency(old, new)

    def close(self) -> None:
        self.flush(sync=True)
        self._entries.close()
        self._leaf_file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_checkpoints(path: str | Path) -> list[SignedNote]:
    """The journal's checkpoints, smallest first (unparseable files raise NoteError)."""
    folder = Path(path) / CHECKPOINTS
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.name.isdigit())
    return [SignedNote.parse(p.read_text(encoding="utf-8")) for p in files]
