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
  entries after the last cosigned checkpoint are reported (signed, not yet witnessed);
  a cosignature line under the witness's name and key id that does not verify fails
  its checkpoint (as does a bad line under the journal's own name and key id); the
  journal's own key is refused as a witness;
- with the witness's state (the size and root it last cosigned, kept on its own host):
  a journal shorter than that size (its tail truncated with the later checkpoints), or
  whose tree at that size has another root (a history rewritten and re-signed with the
  journal's own key), is named: the host cannot make the witness forget;
- the entries after the last signed checkpoint (vouched for by nothing yet) are
  counted (`Report.unsigned`); with `max_unsigned`, more of them is a failure.

`verify_set` (`vigie audit verify-all ROOT`) checks a folder of monthly journals
(`vigie.audit.retention`): each month as above, and the chain linking them (each
month opens with the final signed head of the month before it): a month removed in
the middle, two months swapped, a month renamed, rewritten or grown after the next
one opened are named; months removed from the start are accepted when the retention
says they must be gone.

Checkpoints are read as the bytes on disk: a note rewritten with CRLF line endings
is not the note that was signed, and fails.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .journal import CHECKPOINTS, ENTRIES, LEAVES, checkpoint_name
from .merkle import Levels, leaf_hash, verify_inclusion
from .note import NoteError, SignedNote, Verifier
from .retention import OPENED, is_month, month_end

SEQ = re.compile(rb'^\{"seq":(\d+)[,}]')
MAX_LINE = 1 << 20  # an opening entry is a few hundred bytes


@dataclass
class Report:
    size: int = 0
    checkpoints: int = 0
    cosigned: int = 0
    witnessed: int = 0  # size of the last checkpoint the witness cosigned
    signed: int = 0  # size of the last signed checkpoint
    signed_root: bytes = b""  # its root
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unsigned(self) -> int:
        """Entries after the last signed checkpoint: nothing vouches for them yet."""
        return max(0, self.size - self.signed)


def verify(
    path: str | Path,
    key: Verifier,
    witness: Verifier | None = None,
    entry: int | None = None,
    *,
    witness_state: tuple[int, bytes] | None = None,
    max_unsigned: int | None = None,
) -> Report:
    """`witness_state`: the (size, root) the witness last cosigned, from its own host."""
    path = Path(path)
    report = Report()
    if witness is not None and witness.same_key(key):
        report.problems.append(
            f"witness {witness.name}: this is the journal's own key, it witnesses nothing"
        )
        return report
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
    signed = report.signed = notes[-1][0] if notes else 0
    report.signed_root = notes[-1][1].checkpoint().root if notes else b""
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
    if witness_state is not None and witness_state[0] > 0:
        _check_witness_state(levels, signed, witness_state, report)
    if not notes and not report.problems:
        report.problems.append("no signed checkpoint: nothing vouches for these entries")
    if max_unsigned is not None and report.unsigned > max_unsigned and notes:
        report.problems.append(
            f"entries {signed}..{report.size - 1}: {report.unsigned} entries after the last "
            f"signed checkpoint (at most {max_unsigned} allowed)"
        )
    return report


def _check_witness_state(
    levels: Levels, signed: int, state: tuple[int, bytes], report: Report
) -> None:
    """The witness cosigned `size` entries with this root: the journal must still hold
    them, unchanged (its tree at that size is recomputed from the entries)."""
    size, root = state
    held = len(levels.levels[0])
    if held < size:
        report.problems.append(
            f"entry {held}: journal truncated: the witness cosigned {size} entries, "
            f"the journal holds {held}"
        )
    elif levels.root(size) != root:
        report.problems.append(
            f"entries 0..{size - 1}: do not match the tree the witness cosigned at size "
            f"{size} (the history was rewritten)"
        )
    elif signed < size:
        report.problems.append(
            f"checkpoint {checkpoint_name(size)}: missing: the witness cosigned {size} "
            f"entries, the last signed checkpoint covers {signed}"
        )


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
            note = SignedNote.parse_bytes(file.read_bytes())  # the bytes as signed
            cp = note.checkpoint()
        except NoteError as exc:
            report.problems.append(f"checkpoint {file.name}: unreadable: {exc}")
            return out
        try:
            signed = note.verify_all(key)
        except NoteError:
            signed = None
        if signed is None:
            report.problems.append(f"checkpoint {file.name}: signature does not verify")
            return out
        if checkpoint_name(cp.size) != file.name:
            report.problems.append(f"checkpoint {file.name}: signs size {cp.size}, not its name")
            return out
        if witness is not None:
            try:
                cosigned = note.verify_all(witness)
            except NoteError:
                report.problems.append(
                    f"checkpoint {file.name}: cosignature by witness {witness.name} does not verify"
                )
                return out
            if cosigned is not None:
                report.cosigned += 1
                report.witnessed = cp.size
        out.append((cp.size, note))
    report.checkpoints = len(out)
    if witness is not None and out and not report.cosigned:
        report.problems.append(f"no checkpoint is cosigned by witness {witness.name}")
    return out


# --- the monthly journals, chained ---------------------------------------------------------


class SetError(Exception):
    """The folder cannot be read as a set of monthly journals (a stray or garbage file, a
    month without its entries): `vigie audit verify-all` says so in one line, exit 2."""


@dataclass
class SetReport:
    months: list[str] = field(default_factory=list)
    reports: dict[str, Report] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # accepted: months gone by retention

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def size(self) -> int:
        return sum(r.size for r in self.reports.values())


def verify_set(
    root: str | Path,
    key: Verifier,
    witness: Verifier | None = None,
    *,
    retention_days: int = 1095,
    now: float | None = None,
    max_unsigned: int | None = None,
) -> SetReport:
    """Every monthly journal under `root` (`vigie.audit.retention`), each verified as
    `verify` does, and the chain: each month opens with the final signed head of the
    month before it in the set. Named: a month removed in the middle, two months
    swapped, a month renamed, a month rewritten or grown after the next one opened, a
    second chain started. Months removed from the start are accepted when the
    retention (`retention_days`, at `now`) says they must be gone, and reported in
    `notes`. Raises SetError when the folder is not a set of monthly journals."""
    root = Path(root)
    when = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC)
    report = SetReport(months=_months(root))
    openings: dict[str, dict] = {}
    for month in report.months:
        r = report.reports[month] = verify(root / month, key, witness, max_unsigned=max_unsigned)
        report.problems += [f"{month}: {problem}" for problem in r.problems]
        opening, problem = _opening(root / month)
        if problem:
            report.problems.append(f"{month}: {problem}")
        else:
            openings[month] = opening
    holds = {month: str(o.get("journal")) for month, o in openings.items()}
    renamed = {month for month, held in holds.items() if held != month}
    for month in sorted(renamed):
        held = holds[month]
        if holds.get(held) == month:
            if month < held:
                report.problems.append(
                    f"{month}, {held}: swapped: {month} holds the journal of {held}, "
                    f"{held} the journal of {month}"
                )
        else:
            report.problems.append(f"{month}: renamed: it holds the journal of {held}")
    where = {held: month for month, held in holds.items()}
    chain = [month for month in report.months if month not in renamed]  # named above
    for i, month in enumerate(chain):
        opening = openings.get(month)
        if opening is None:
            continue
        before = chain[i - 1] if i else None
        if opening.get("first") is True:
            if before is not None:
                report.problems.append(
                    f"{month}: opens a new chain (the first month of a deployment), yet "
                    f"{before} comes before it"
                )
            continue
        previous = str(opening.get("previous") or "")
        if not is_month(previous) or previous >= month:
            report.problems.append(
                f"{month}: its opening entry names no month before it ({previous!r})"
            )
        elif where.get(previous, previous) != previous:
            continue  # renamed: named above
        elif previous == before:
            _check_link(root, month, opening, before, report, key)
        elif before is None:
            ends = month_end(previous) + dt.timedelta(days=retention_days)
            if ends <= when:
                report.notes.append(
                    f"{previous}: removed by the retention policy (its {retention_days} days "
                    f"ended on {ends:%Y-%m-%d}); {month} is the oldest month kept"
                )
            else:
                report.problems.append(
                    f"{previous}: missing: {month} opens after it, and its retention runs "
                    f"until {ends:%Y-%m-%d} (removed before its retention ended)"
                )
        elif previous > before:
            report.problems.append(
                f"{previous}: missing: {month} opens after it, {before} comes before it "
                "(a month removed from the middle of the chain)"
            )
        else:
            report.problems.append(
                f"{before}: not in the chain: {month} opens after {previous}, not after it"
            )
    return report


def _months(root: Path) -> list[str]:
    if not root.is_dir():
        raise SetError(f"{root}: not a folder of monthly journals")
    if (root / ENTRIES).exists():
        raise SetError(
            f"{root}: one journal, not a folder of monthly journals (`vigie audit verify`)"
        )
    months = []
    for path in sorted(root.iterdir()):
        if not (path.is_dir() and is_month(path.name)):
            raise SetError(f"{path}: not a monthly journal (the set holds YYYY-MM folders only)")
        if not (path / ENTRIES).is_file():
            raise SetError(f"{path}: no {ENTRIES}: not a journal")
        months.append(path.name)
    if not months:
        raise SetError(f"{root}: no monthly journal in it")
    return months


def _opening(path: Path) -> tuple[dict, str]:
    """A month's entry 0, its link; or what is wrong with it."""
    with open(path / ENTRIES, "rb") as f:
        first = f.readline(MAX_LINE)
    if not first:
        return {}, "empty: no opening entry"
    try:
        entry = json.loads(first)
    except ValueError:  # UnicodeDecodeError too
        raise SetError(f"{path / ENTRIES}: not a journal: its first line is not JSON") from None
    if not isinstance(entry, dict):
        raise SetError(f"{path / ENTRIES}: not a journal: its first line is not an entry")
    if entry.get("action") != OPENED:
        return {}, f"entry 0 is not the month's opening entry ({OPENED}): no link before it"
    return entry, ""


def _check_link(
    root: Path, month: str, opening: dict, before: str, report: SetReport, key: Verifier
) -> None:
    """`month` recorded `before`'s final signed head when it opened: is it still?"""
    size, root_hex = opening.get("previous_size"), str(opening.get("previous_root") or "")
    try:
        recorded = bytes.fromhex(root_hex)
        note = SignedNote.parse(str(opening.get("previous_checkpoint") or ""))
        cp = note.checkpoint()
        signed = note.verify(key) is not None
    except (ValueError, NoteError):
        signed, recorded, cp = False, b"", None
    if not signed or cp is None or (cp.size, cp.root) != (size, recorded):
        report.problems.append(
            f"{month}: its link to {before} is not a checkpoint signed by the journal's key"
        )
        return
    r = report.reports[before]
    if (r.signed, r.signed_root) != (cp.size, cp.root):
        if r.signed > cp.size and _root_at(root / before, cp.size) == cp.root:
            report.problems.append(
                f"{before}: entries {cp.size}..{r.signed - 1} added after {month} opened "
                f"(it recorded {before}'s final head at size {cp.size})"
            )
        else:
            report.problems.append(
                f"{before}: rewritten: its final signed head (size {r.signed}, root "
                f"{r.signed_root.hex()[:16]}…) is not the one {month} recorded when it opened "
                f"(size {cp.size}, root {cp.root.hex()[:16]}…)"
            )
    elif r.size > cp.size:
        report.problems.append(
            f"{before}: entries {cp.size}..{r.size - 1} after the final head {month} recorded"
        )


def _root_at(path: Path, size: int) -> bytes:
    lines = (path / ENTRIES).read_bytes().split(b"\n")[:-1]
    return Levels([leaf_hash(line) for line in lines]).root(size) if size <= len(lines) else b""
