"""The witness's off-host copy of the journal: pull, check, cosign (`vigie audit follow`).

The witness runs on a host the platform's administrators do not control. Each run
pulls the journal's entries and its latest signed checkpoint from the central host
and keeps them in its own copy, append-only: the new entries must extend the copy
byte for byte. A journal rewritten, truncated, forked or unreadable is refused
(`FollowRefused`) before anything is written, so the copy and the witness's state
stay as they were and the run fails. Otherwise the latest checkpoint is cosigned by
`Witness` (consistency proof computed from the entries held) and the cosigned note
kept in the copy, where `vigie audit verify COPY --witness` checks it.

The source is a journal folder (`entries.jsonl`, `checkpoints/`) or a folder of
monthly journals (`YYYY-MM/`, `vigie.audit.retention`): each journal is followed
with its own state file. A month gone from the source (retention) is kept in the
copy; a month appearing before one already held is refused.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

from .journal import CHECKPOINTS, ENTRIES, checkpoint_name
from .merkle import Levels, leaf_hash, verify_consistency
from .note import NoteError, SignedNote, Signer, Verifier
from .retention import is_month
from .verify import SEQ
from .witness import Witness, WitnessRefused

MAX_BYTES = 1 << 31  # a month of entries is far below; more is not a journal


class FollowRefused(Exception):
    """The source is not an extension of the copy (or not a journal): nothing kept."""


class Source(Protocol):
    def names(self, folder: str) -> list[str]:
        """Entries of a folder ("" is the root); sub-folders end with `/`."""

    def read(self, path: str) -> bytes: ...


class FolderSource:
    """A journal reached as files (a mounted or synchronised copy, the tests)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def names(self, folder: str) -> list[str]:
        path = self.root / folder
        if not path.is_dir():
            return []
        return [p.name + ("/" if p.is_dir() else "") for p in path.iterdir()]

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()


class HttpsSource:
    """The central host's nginx: `location /journal/` (mutual TLS, read-only, listings
    as nginx's `autoindex_format json`). One kept-alive connection per run."""

    def __init__(self, url: str, *, ca: str, cert: str, key: str, timeout: float = 30):
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"{url}: not an https URL")
        self.prefix = parts.path.rstrip("/") + "/"
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(cert, key)
        self.conn = http.client.HTTPSConnection(
            parts.hostname, parts.port or 443, context=ctx, timeout=timeout
        )

    def _get(self, path: str) -> bytes:
        self.conn.request("GET", quote(self.prefix + path))
        resp = self.conn.getresponse()
        body = resp.read(MAX_BYTES + 1)
        if resp.status == 404:
            raise FileNotFoundError(path)
        if resp.status != 200 or len(body) > MAX_BYTES:
            raise OSError(f"GET {self.prefix}{path}: HTTP {resp.status}")
        return body

    def names(self, folder: str) -> list[str]:
        try:
            listing = json.loads(self._get(folder.rstrip("/") + "/" if folder else ""))
        except FileNotFoundError:
            return []
        except ValueError:
            raise FollowRefused(f"{folder or '/'}: the listing is not nginx's JSON") from None
        return [i["name"] + ("/" if i.get("type") == "directory" else "") for i in listing]

    def read(self, path: str) -> bytes:
        return self._get(path)


@dataclass
class Followed:
    journal: str  # "" for a single journal, else the month
    size: int  # entries held after the run
    cosigned: int  # checkpoint cosigned in this run (0: nothing new)
    previous: int  # the size the witness had cosigned before


@dataclass
class Pulled:
    name: str
    data: bytes  # complete lines only
    levels: Levels
    note: SignedNote | None

    @property
    def where(self) -> str:
        return self.name or "journal"


def journals(source: Source, copy: Path) -> list[str]:
    """The journals to follow: "" when the root is one journal, else its months."""
    top = source.names("")
    if ENTRIES in top:
        return [""]
    if (copy / ENTRIES).exists():
        raise FollowRefused(f"the journal held in {copy} is gone from the source")
    months = sorted(n[:-1] for n in top if n.endswith("/") and is_month(n[:-1]))
    held = sorted(p.name for p in copy.iterdir() if p.is_dir() and is_month(p.name))
    if not months:
        raise FollowRefused("no journal at the source")
    if held:
        new = [m for m in months if m not in held]
        if new and new[0] < held[-1]:
            raise FollowRefused(f"month {new[0]} appeared before {held[-1]}, already held")
    return months


def pull(source: Source, copy: Path, name: str, log) -> Pulled:
    """Fetch one journal and check it extends the copy; raises FollowRefused."""
    where = name or "journal"
    prefix = f"{name}/" if name else ""
    cps = sorted(n for n in source.names(prefix + CHECKPOINTS) if n.isdigit())
    note = None
    # The checkpoint first: the journal syncs its entries before writing one, so the
    # entries fetched next cover it.
    if cps:
        try:
            note = SignedNote.parse_bytes(source.read(f"{prefix}{CHECKPOINTS}/{cps[-1]}"))
            cp = note.checkpoint()
        except NoteError as exc:
            raise FollowRefused(f"{where}: checkpoint {cps[-1]} unreadable: {exc}") from None
        if note.verify(log) is None:
            raise FollowRefused(f"{where}: checkpoint {cp.size} not signed by the journal's key")
        if checkpoint_name(cp.size) != cps[-1]:
            raise FollowRefused(f"{where}: checkpoint file {cps[-1]} holds size {cp.size}")
    data = source.read(prefix + ENTRIES)
    data = data[: data.rfind(b"\n") + 1]  # a line being written is taken next time
    held_path = copy / name / ENTRIES
    held = held_path.read_bytes() if held_path.exists() else b""
    if not data.startswith(held):
        raise FollowRefused(f"{where}: {_difference(held, data)}: not an extension of the copy")
    lines = data.split(b"\n")[:-1]
    start = held.count(b"\n")
    for i, line in enumerate(lines[start:], start):
        m = SEQ.match(line)
        if not m or int(m[1]) != i:
            raise FollowRefused(f"{where}: entry {i} is not the journal's entry {i}")
    levels = Levels([leaf_hash(x) for x in lines])
    if note is not None:
        cp = note.checkpoint()
        if cp.size > len(lines):
            raise FollowRefused(f"{where}: checkpoint {cp.size} signs more than {len(lines)}")
        if levels.root(cp.size) != cp.root:
            raise FollowRefused(f"{where}: entries do not match signed checkpoint {cp.size}")
    return Pulled(name, data, levels, note)


def _difference(held: bytes, data: bytes) -> str:
    """Name the first entry of the copy the source no longer holds as it was."""
    old, new = held.split(b"\n")[:-1], data.split(b"\n")
    for i, line in enumerate(old):
        if i >= len(new) - 1:
            return f"truncated: entry {i} and after are gone"
        if new[i] != line:
            return f"entry {i} rewritten"
    return "rewritten"


def follow(
    source: Source, copy: str | Path, state: str | Path, signer: Signer, log: Verifier, **kw
) -> list[Followed]:
    """Pull every journal and check it against the copy and the witness's state; on the
    first problem refuse the whole run (FollowRefused) with nothing written. Then
    cosign each journal's new checkpoint and keep the copy. `kw` goes to `Witness`."""
    copy, state = Path(copy), Path(state)
    copy.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    planned = []
    for p in [pull(source, copy, name, log) for name in journals(source, copy)]:
        try:
            witness = Witness(signer, log, state / f"{p.where}.json", **kw)
            old_size, old_root = witness.last()
        except WitnessRefused as exc:
            raise FollowRefused(str(exc)) from None
        held = len(p.levels.levels[0])
        if old_size > held:
            raise FollowRefused(f"{p.where}: {held} entries, the witness cosigned {old_size}")
        proof = None
        if p.note is not None and p.note.checkpoint().size != old_size:
            cp = p.note.checkpoint()
            proof = p.levels.consistency(old_size, cp.size) if cp.size > old_size else []
            if old_size and not verify_consistency(old_size, cp.size, old_root, cp.root, proof):
                raise FollowRefused(f"{p.where}: checkpoint {cp.size} inconsistent with {old_size}")
        elif p.note is not None and p.note.checkpoint().root != old_root:
            raise FollowRefused(f"{p.where}: a fork of checkpoint {old_size}, already cosigned")
        planned.append((p, witness, old_size, proof))
    done = []
    for p, witness, old_size, proof in planned:
        cosigned = None
        if proof is not None:
            try:
                cosigned = witness.cosign(p.note.text(), proof)
            except WitnessRefused as exc:
                raise FollowRefused(f"{p.where}: {exc}") from None
        _keep(copy / p.name, p.data, cosigned)
        size = p.note.checkpoint().size if cosigned else 0
        done.append(Followed(p.name, len(p.levels.levels[0]), size, old_size))
    return done


def _keep(folder: Path, data: bytes, cosigned: str | None) -> None:
    """Write the copy: entries replaced atomically (they only grow), then the note."""
    (folder / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{ENTRIES}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / ENTRIES)
    if cosigned is not None:
        size = SignedNote.parse(cosigned).checkpoint().size
        final = folder / CHECKPOINTS / checkpoint_name(size)
        tmp = final.with_suffix(".tmp")
        tmp.write_text(cosigned, encoding="utf-8")
        os.replace(tmp, final)
