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

Whatever a caller hands over, `safe_entry` makes it writable (bounded strings,
lone surrogates and undecodable bytes escaped, other types as text). Appends are
made durable by `flush(sync=True)` or `checkpoint()`; when a write or an fsync
fails (a full disk, a read-only remount), `rollback()` cuts the files back to the
last durable state so the same entries can be appended again once the disk can
take them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from pathlib import Path

from .merkle import CompactTree, Levels, leaf_hash
from .note import Checkpoint, SignedNote, Signer

ENTRIES, LEAVES, CHECKPOINTS = "entries.jsonl", "leaves.bin", "checkpoints"
MAX_VALUE = 4096
SAFE_TEXT = 1024  # characters a journaled string keeps; the rest is cut, with a marker
SAFE_ITEMS = 64  # items a journaled list or mapping keeps
SAFE_DEPTH = 6  # nesting kept; deeper values are journaled as text


class JournalError(Exception):
    pass


def entry_line(seq: int, entry: dict) -> bytes:
    """The canonical bytes of an entry: `seq` first, then the other keys sorted."""
    body = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b'{"seq":%d,' % seq + body[1:].encode() if len(body) > 2 else b'{"seq":%d}' % seq


def _safe_text(text: str, limit: int = SAFE_TEXT) -> str:
    """Valid UTF-8 text of at most `limit` characters (plus the cut's marker): a lone
    surrogate (an undecodable byte smuggled through `surrogateescape`) is written as
    its `\\udcXX` escape, never passed to the encoder that would refuse it."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        text = f"{text[:limit]}…[{len(text) - limit} characters cut]"
    return text


def safe_value(value, limit: int = SAFE_TEXT, depth: int = SAFE_DEPTH):
    """`value` as JSON the journal can always write: text bounded and valid, bytes
    decoded with their undecodable bytes escaped, non-finite floats and huge
    integers as text, lists and mappings bounded, anything else as its text.
    Never raises; `json.loads(json.dumps(v))` gives back `v`."""
    kind = type(value)
    if kind is str:  # the common case first: every decision goes through here
        return value if len(value) <= limit and value.isascii() else _safe_text(value, limit)
    if kind is dict and depth > 0 and len(value) <= SAFE_ITEMS:
        return {
            k if type(k) is str and len(k) <= 128 and k.isascii() else _safe_key(k): (
                v if type(v) is str and len(v) <= limit and v.isascii()
                else safe_value(v, limit, depth - 1)
            )
            for k, v in value.items()
        }  # fmt: skip
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        value = int(value)
        # An integer past 4300 digits cannot even be printed (CPython's limit).
        return value if value.bit_length() <= 256 else f"<integer of {value.bit_length()} bits>"
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(float(value))
    if isinstance(value, str):  # a subclass: its own __str__ is not trusted
        return _safe_text(str.__str__(value), limit)
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            data = value.tobytes() if isinstance(value, memoryview) else bytes(value)
        except Exception:  # a released view
            return f"<{type(value).__name__}>"
        text = data[: limit * 4].decode("utf-8", "backslashreplace")
        if len(data) > limit * 4:
            text += f"…[{len(data) - limit * 4} bytes cut]"
        return _safe_text(text, limit)
    if depth <= 0:
        return _safe_text(_text_of(value), limit)
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i == SAFE_ITEMS:
                out["…"] = f"{len(value) - SAFE_ITEMS} items cut"
                break
            out[_safe_key(k)] = safe_value(v, limit, depth - 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        out = [safe_value(v, limit, depth - 1) for v in items[:SAFE_ITEMS]]
        if len(items) > SAFE_ITEMS:
            out.append(f"…[{len(items) - SAFE_ITEMS} items cut]")
        return out
    return _safe_text(_text_of(value), limit)


def _safe_key(key) -> str:
    return _safe_text(key if type(key) is str else str(safe_value(key, 128, 1)), 128)


def _text_of(value) -> str:
    try:
        text = str(value)
    except Exception:  # a hostile or broken __str__: its type is all we journal
        return f"<{type(value).__name__}>"
    return text if type(text) is str else f"<{type(value).__name__}>"


def safe_entry(entry) -> dict:
    """An entry `Journal.append` can always write: `safe_value` of each field."""
    if not isinstance(entry, dict):
        entry = {"action": "unknown", "decision": "deny", "value": entry}
    return safe_value(entry)


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
    """Append entries; sign a checkpoint every `checkpoint_every` entries or every
    `checkpoint_interval_s` seconds, whichever comes first (by default the model's
    `vigie.central.JOURNAL_CHECKPOINT_ENTRIES` and `JOURNAL_CHECKPOINT_S`; the time is
    checked on append and by `tick()`), and on demand."""

    def __init__(
        self,
        path: str | Path,
        key: Signer,
        *,
        origin: str | None = None,
        checkpoint_every: int | None = None,
        checkpoint_interval_s: float | None = None,
        clock=time.time,
    ):
        self.path = Path(path)
        self.key = key
        self.origin = origin or key.name
        if checkpoint_every is None or checkpoint_interval_s is None:
            # The model's cadence (imported here: `vigie audit verify` never needs it).
            from vigie.central import JOURNAL_CHECKPOINT_ENTRIES, JOURNAL_CHECKPOINT_S

            if checkpoint_every is None:
                checkpoint_every = JOURNAL_CHECKPOINT_ENTRIES
            if checkpoint_interval_s is None:
                checkpoint_interval_s = JOURNAL_CHECKPOINT_S
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval_s = checkpoint_interval_s
        self._clock = clock
        (self.path / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
        self._leaves: list[bytes] = []
        self._tree = CompactTree()
        self._load()
        self._open_files()
        self._last_checkpoint = self._clock()
        self._since_checkpoint = 0
        self._mark_durable()

    def _open_files(self) -> None:
        self._entries = open(self.path / ENTRIES, "ab")  # noqa: SIM115 (kept open)
        self._leaf_file = open(self.path / LEAVES, "ab")  # noqa: SIM115

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

    @property
    def durable_size(self) -> int:
        """Entries known to be on disk (fsync): what survives a crash or a rollback."""
        return self._durable[2]

    def _mark_durable(self) -> None:
        """Both files flushed and fsynced: this is the state a rollback goes back to."""
        self._durable = (
            os.fstat(self._entries.fileno()).st_size,
            os.fstat(self._leaf_file.fileno()).st_size,
            self._tree.size,
            list(self._tree._stack),
            self._since_checkpoint,
        )

    def rollback(self) -> None:
        """After a failed write or fsync: drop what was appended since the last durable
        state, in memory and on disk (a partial line too), so the same entries can be
        appended again. The files stay closed until the next append (nothing holds the
        filesystem open for writing meanwhile: it can be remounted, repaired). Raises
        OSError while the disk refuses even that: call it again later."""
        for f in (self._entries, self._leaf_file):
            with contextlib.suppress(OSError):
                f.close()  # flushes what it can; the descriptor is closed either way
        entries_bytes, leaves_bytes, size, stack, since = self._durable
        for name, length in ((ENTRIES, entries_bytes), (LEAVES, leaves_bytes)):
            if os.stat(self.path / name).st_size != length:
                os.truncate(self.path / name, length)
        self._tree.size, self._tree._stack = size, list(stack)
        del self._leaves[size:]
        self._since_checkpoint = since

    def _reopen(self) -> None:
        if self._entries.closed or self._leaf_file.closed:
            self._open_files()

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
        self._reopen()
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
        """Write the buffers out; with `sync`, fsync both files: the entries are then
        durable (`durable_size`). An OSError (ENOSPC, EROFS, EIO) leaves them not
        durable: `rollback()` before appending again."""
        self._reopen()
        for f in (self._entries, self._leaf_file):
            f.flush()
            if sync:
                os.fsync(f.fileno())
        if sync:
            self._mark_durable()

    def tick(self) -> bool:
        """Sign a checkpoint if entries wait for one and `checkpoint_interval_s` has
        passed since the last (an idle journal's tail gets signed too); True if signed."""
        if self._since_checkpoint and (
            self._clock() - self._last_checkpoint >= self.checkpoint_interval_s
        ):
            self.checkpoint()
            return True
        return False

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
        if self._entries.closed and self._leaf_file.closed:  # rolled back, nothing since
            return
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
