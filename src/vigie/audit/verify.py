"""`vigie audit verify`: recompute the tree, check every checkpoint's signature, root
and cosignature, and name the first bad entry or checkpoint.

What is caught, and how the culprit is named:
- an entry edited, inserted or removed in place: its recomputed leaf differs from the
  one recorded at append time (`leaves.bin`), or its `seq` is not its position: the
  entry is named;
- entries reordered: `seq` out of place: the first one is named;
- the journal truncated below a signed checkpoint: the first missing entry is named;
- a rewrite that also recomputed `leaves.bin`: the first checkpoint whose signed root
  no longer matches names the range of entries it covers;
- a forged or altered checkpoint: its signature fails: the checkpoint is named;
- with `--witness`: at least one checkpoint must carry the witness's cosignature; the
  entries after the last cosigned checkpoint are reported (signed, not yet witnessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .journal import CHECKPOINTS, ENTRIES, LEAVES, checkpoint_name
from .merkle import Levels, leaf_hash, verify_inclusion
from .note import NoteError, SignedNote, Verifier

SEQ = re.compile(rb'^\{"seq":(\d+)[,}]')


@dataclass
class Report:
    size: int = 0
    checkpoints: int = 0
    cosigned: int = 0
    witnessed: int = 0  # size of the last checkpoint the witness cosigned
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    path: str | Path, key: Verifier, witness: Verifier | None = None, entry: int | None = None
) -> Report:
    path = Path(path)
    report = Report()
    if not (path / ENTRIES).is_file():
        report.problems.append(f"{path}: no {ENTRIES}")
        return report
    lines = (path / ENTRIES).read_bytes().split(b"\n")
    if lines[-1]:
        report.problems.append(f"entry {len(lines) - 1}: incomplete last line (no newline)")
    lines = lines[:-1]
    leaves = [leaf_hash(line) for line in lines]
    report.size = len(leaves)
    recorded = (path / LEAVES).read_bytes() if (path / LEAVES).is_file() else b""
    levels = Levels(leaves)
    notes = _checkpoints(path, key, witness, report)
    signed = notes[-1][0] if notes else 0
    # Entries under a signed checkpoint are vouched for by its root: scan them one by one
    # (to name the culprit) only when something does not match; the tail always.
    suspect = recorded != b"".join(leaves) or any(
        levels.root(size) != n.checkpoint().root for size, n in notes if size <= len(leaves)
    )
    _check_entries(lines, leaves, recorded, report, start=0 if suspect else signed)
    previous = 0
    for size, note in notes:
        cp = note.checkpoint()
        if cp.size > len(leaves):
            report.problems.append(
                f"entry {len(leaves)}: journal truncated: checkpoint {size} signs "
                f"{cp.size} entries, the journal holds {len(leaves)}"
            )
            break
        if levels.root(cp.size) != cp.root:
            report.problems.append(
                f"entries {previous}..{cp.size - 1}: do not match signed checkpoint {cp.size} "
                "(an entry in this range was changed, added, removed or moved)"
            )
            break
        previous = cp.size
    if entry is not None and notes and report.ok:
        cp = notes[-1][1].checkpoint()
        proof = levels.inclusion(entry, cp.size) if entry < cp.size else []
        if entry >= cp.size or not verify_inclusion(leaves[entry], entry, cp.size, proof, cp.root):
            report.problems.append(f"entry {entry}: not included in checkpoint {cp.size}")
    if not notes and not report.problems:
        report.problems.append("no signed checkpoint: nothing vouches for these entries")
    return report


def _check_entries(
    lines: list[bytes], leaves: list[bytes], recorded: bytes, report: Report, start: int = 0
) -> None:
    for i in range(start, len(lines)):
        line = lines[i]
        m = SEQ.match(line)
        if m is None or int(m.group(1)) != i:
            found = m.group(1).decode() if m else "none"
            report.problems.append(f"entry {i}: out of place (its seq is {found})")
            return
        if recorded[32 * i : 32 * i + 32] != leaves[i] and 32 * i < len(recorded):
            report.problems.append(f"entry {i}: changed since it was appended (leaf hash differs)")
            return
    if len(recorded) > 32 * len(lines):
        report.problems.append(
            f"entry {len(lines)}: journal truncated: {len(recorded) // 32} entries were appended"
        )


def _checkpoints(
    path: Path, key: Verifier, witness: Verifier | None, report: Report
) -> list[tuple[int, SignedNote]]:
    out = []
    folder = path / CHECKPOINTS
    files = sorted(p for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []
    for file in files:
        try:
            note = SignedNote.parse(file.read_text(encoding="utf-8"))
            cp = note.checkpoint()
        except (NoteError, UnicodeDecodeError) as exc:
            report.problems.append(f"checkpoint {file.name}: unreadable: {exc}")
            return out
        if note.verify(key) is None:
            report.problems.append(f"checkpoint {file.name}: signature does not verify")
            return out
        if checkpoint_name(cp.size) != file.name:
            report.problems.append(f"checkpoint {file.name}: signs size {cp.size}, not its name")
            return out
        if witness is not None and note.verify(witness) is not None:
            report.cosigned += 1
            report.witnessed = cp.size
        out.append((cp.size, note))
    report.checkpoints = len(out)
    if witness is not None and out and not report.cosigned:
        report.problems.append(f"no checkpoint is cosigned by witness {witness.name}")
    return out
