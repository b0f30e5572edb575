"""The monthly journals form a chain: each month opens with the final signed head of
the month before it, so a month removed, swapped, renamed or rewritten before its
retention ends is named by `vigie audit verify-all`; the months the retention
removed from the start are accepted, and said so. Also: the checkpoint cadence the
writer takes from the model, and the CLI's answer to a set it cannot read."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
import sys

import pytest

from vigie.audit.journal import CHECKPOINTS, ENTRIES, LEAVES, Journal, read_checkpoints
from vigie.audit.note import COSIGNATURE, SignedNote, Signer
from vigie.audit.retention import CHAIN_RULE, OPENED, JournalSet
from vigie.audit.verify import SetError, verify, verify_set
from vigie.central import JOURNAL_CHECKPOINT_ENTRIES, JOURNAL_CHECKPOINT_S
from vigie.cli import main

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
NOW = dt.datetime(2026, 5, 20, tzinfo=dt.UTC).timestamp()


class Clock:
    def __init__(self, when: dt.datetime):
        self.when = when

    def __call__(self) -> float:
        return self.when.timestamp()


def entries(path) -> list[dict]:
    return [json.loads(x) for x in (path / ENTRIES).read_text().splitlines()]


def fill(journals: JournalSet, clock: Clock, year: int, months: range, n: int = 3) -> None:
    for month in months:
        clock.when = dt.datetime(year, month, 10, tzinfo=dt.UTC)
        for i in range(n):
            journals.append({"action": "segment_allowed", "decision": "allow", "n": i})


@pytest.fixture
def months_dir(tmp_path, log_key):
    """Five monthly journals, 2026-01..2026-05, each of its opening entry and 3 more."""
    root = tmp_path / "journal"
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    journals = JournalSet(root, log_key, clock=clock)
    fill(journals, clock, 2026, range(1, 6))
    journals.close()
    return root


@pytest.fixture
def pub(tmp_path, log_key):
    path = tmp_path / "journal.pub"
    path.write_text(log_key.verifier.text() + "\n")
    return path


def check(root, key, **kw) -> list[str]:
    report = verify_set(root, key.verifier, now=NOW, **kw)
    return report.problems


def verify_all(capsys, *args) -> tuple[int, str, str]:
    status = main(["audit", "verify-all", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


# --- the chain is written -----------------------------------------------------------------


def test_each_month_opens_with_the_final_signed_head_of_the_month_before(months_dir, log_key):
    assert sorted(p.name for p in months_dir.iterdir()) == MONTHS
    first = entries(months_dir / MONTHS[0])[0]
    assert first["action"] == OPENED and first["rule"] == CHAIN_RULE
    assert first["first"] is True and first["previous"] == "" and first["journal"] == MONTHS[0]
    for before, month in itertools.pairwise(MONTHS):
        opening = entries(months_dir / month)[0]
        assert opening["seq"] == 0 and opening["action"] == OPENED
        assert (opening["journal"], opening["previous"]) == (month, before)
        final = read_checkpoints(months_dir / before)[-1].checkpoint()
        assert (opening["previous_size"], opening["previous_root"]) == (4, final.root.hex())
        note = SignedNote.parse(opening["previous_checkpoint"])
        assert note.verify(log_key.verifier) == 0 and note.checkpoint() == final
        # The link itself is under the month's first signed checkpoint.
        assert read_checkpoints(months_dir / month)[0].checkpoint().size == 1
    report = verify_set(months_dir, log_key.verifier, now=NOW)
    assert report.ok and report.months == MONTHS and report.size == 20 and not report.notes


def test_a_restarted_set_links_the_month_closed_by_a_crash(tmp_path, log_key):
    """The service stopped (no rotation), its last month left with an unsigned tail:
    the next month's opening signs it and records that head."""
    root = tmp_path / "journal"
    with Journal(root / "2026-01", log_key, checkpoint_every=10**9) as j:
        j.append({"action": "a", "decision": "allow"})
        j.checkpoint()
        j.append({"action": "b", "decision": "allow"})  # never signed
    clock = Clock(dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    journals = JournalSet(root, log_key, clock=clock)
    journals.append({"action": "c", "decision": "allow"})
    journals.close()
    opening = entries(root / "2026-03")[0]
    assert (opening["previous"], opening["previous_size"]) == ("2026-01", 2)
    problems = check(root, log_key)
    # Only the month written before the chain existed says it has no link.
    assert problems == [
        f"2026-01: entry 0 is not the month's opening entry ({OPENED}): no link before it"
    ]


# --- what verify-all names ----------------------------------------------------------------


def swap(root, a, b):
    (root / a).rename(root / "tmp")
    (root / b).rename(root / a)
    (root / "tmp").rename(root / b)


def rewrite(root, month, key):
    """The host rewrites a closed month and signs it again with the journal's own key."""
    path = root / month
    rows = (path / ENTRIES).read_bytes().split(b"\n")[:-1]
    rows[2] = rows[2].replace(b'"n":1', b'"n":7')
    (path / ENTRIES).write_bytes(b"".join(r + b"\n" for r in rows))
    shutil.rmtree(path / CHECKPOINTS)
    (path / LEAVES).unlink()
    with Journal(path, key) as forged:
        forged.checkpoint()


def grow(root, month, key):
    with Journal(root / month, key) as journal:
        journal.append({"action": "segment_allowed", "decision": "allow", "n": 9})
        journal.checkpoint()


TAMPERING = {
    "removed in the middle": (
        lambda root, key: shutil.rmtree(root / "2026-03"),
        [
            "2026-03: missing: 2026-04 opens after it, 2026-02 comes before it "
            "(a month removed from the middle of the chain)"
        ],
    ),
    "two months swapped": (
        lambda root, key: swap(root, "2026-02", "2026-03"),
        [
            "2026-02, 2026-03: swapped: 2026-02 holds the journal of 2026-03, 2026-03 the "
            "journal of 2026-02"
        ],
    ),
    "a month renamed": (
        lambda root, key: (root / "2026-03").rename(root / "2026-07"),
        ["2026-07: renamed: it holds the journal of 2026-03"],
    ),
    "the last month renamed back in time": (
        lambda root, key: (root / "2026-05").rename(root / "2025-12"),
        ["2025-12: renamed: it holds the journal of 2026-05"],
    ),
    "a month rewritten and re-signed": (
        lambda root, key: rewrite(root, "2026-02", key),
        ["2026-02: rewritten: its final signed head (size 4, root "],
    ),
    "a month grown after the next opened": (
        lambda root, key: grow(root, "2026-02", key),
        [
            "2026-02: entries 4..4 added after 2026-03 opened (it recorded 2026-02's final "
            "head at size 4)"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_verify_all_names_what_was_done_to_the_set(capsys, months_dir, log_key, pub, case):
    tamper, expected = TAMPERING[case]
    tamper(months_dir, log_key)
    # Each month alone still verifies: only the chain remembers.
    for month in (p.name for p in months_dir.iterdir()):
        assert verify(months_dir / month, log_key.verifier).ok
    problems = check(months_dir, log_key)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem
    status, out, _ = verify_all(capsys, months_dir, "--key", pub)
    assert status == 1 and out.splitlines() == [f"{months_dir}: {p}" for p in problems]


def test_a_second_chain_started_in_the_set_is_named(tmp_path, months_dir, log_key):
    """A month replaced by the first month of another deployment (same key)."""
    other = tmp_path / "other"
    clock = Clock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    journals = JournalSet(other, log_key, clock=clock)
    fill(journals, clock, 2026, range(3, 4))
    journals.close()
    shutil.rmtree(months_dir / "2026-03")
    shutil.copytree(other / "2026-03", months_dir / "2026-03")
    problems = check(months_dir, log_key)
    assert problems[0] == (
        "2026-03: opens a new chain (the first month of a deployment), yet 2026-02 comes before it"
    )
    # And the month after it recorded another head for 2026-03.
    assert problems[1].startswith("2026-03: rewritten: its final signed head (size 4, root ")
    assert "is not the one 2026-04 recorded when it opened (size 4, root " in problems[1]
    assert len(problems) == 2


# --- the retention's deletions are accepted, and said ------------------------------------


def test_months_removed_by_the_retention_are_accepted_and_reported(capsys, tmp_path, log_key, pub):
    root = tmp_path / "journal"
    clock = Clock(dt.datetime(2023, 1, 15, tzinfo=dt.UTC))
    journals = JournalSet(root, log_key, retention_days=1095, clock=clock)
    fill(journals, clock, 2023, range(1, 5), n=5)
    clock.when = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    assert journals.enforce() == ["2023-01", "2023-02"]
    journals.close()
    opening = entries(root / "2026-03")[0]
    assert (opening["action"], opening["previous"]) == (OPENED, "2023-04")
    report = verify_set(root, log_key.verifier, retention_days=1095, now=clock())
    assert report.ok, report.problems
    assert report.notes == [
        "2023-02: removed by the retention policy (its 1095 days ended on 2026-02-28); "
        "2023-03 is the oldest month kept"
    ]
    status, _, err = verify_all(capsys, root, "--key", pub)  # today: long past
    assert status == 0, err
    assert "2023-02: removed by the retention policy" in err
    assert "ok: 3 monthly journals chained (2023-03..2026-03), 15 entries" in err
    # A shorter retention said on the command line does not make a month vanish early:
    # the retention given is what the months are checked against.
    report = verify_set(root, log_key.verifier, retention_days=1095, now=clock() - 30 * 86400)
    assert report.problems == [
        "2023-02: missing: 2023-03 opens after it, and its retention runs until 2026-02-28 "
        "(removed before its retention ended)"
    ]


def test_the_oldest_month_removed_before_its_retention_ended_is_named(months_dir, log_key):
    shutil.rmtree(months_dir / "2026-01")
    assert check(months_dir, log_key) == [
        "2026-01: missing: 2026-02 opens after it, and its retention runs until 2029-01-31 "
        "(removed before its retention ended)"
    ]
    assert check(months_dir, log_key, retention_days=30) == []


# --- verify-all with a witness ------------------------------------------------------------


def test_verify_all_with_the_witness_checks_every_month(capsys, tmp_path, months_dir, pub):
    witness = Signer.generate("dpo-78", COSIGNATURE)
    (tmp_path / "dpo.pub").write_text(witness.verifier.text() + "\n")
    status, out, _ = verify_all(capsys, months_dir, "--key", pub, "--witness", tmp_path / "dpo.pub")
    assert status == 1
    assert out.splitlines() == [
        f"{months_dir}: {m}: no checkpoint is cosigned by witness dpo-78" for m in MONTHS
    ]


# --- the set cannot be read: one line, exit 2 ---------------------------------------------


def break_set(root, how):
    if how == "missing folder":
        shutil.rmtree(root)
    elif how == "empty folder":
        for p in root.iterdir():
            shutil.rmtree(p)
    elif how == "stray file":
        (root / "notes.txt").write_text("hello")
    elif how == "month as a file":
        shutil.rmtree(root / "2026-03")
        (root / "2026-03").write_bytes(bytes(range(256)))
    elif how == "month without entries":
        (root / "2026-03" / ENTRIES).unlink()
    elif how == "garbage entries":
        (root / "2026-03" / ENTRIES).write_bytes(bytes(range(256)) * 4)
    elif how == "entries a folder":
        (root / "2026-03" / ENTRIES).unlink()
        (root / "2026-03" / ENTRIES).mkdir()
    elif how == "not a month":
        (root / "2026-3").mkdir()
    elif how == "one journal":
        (root / ENTRIES).write_bytes(b"")


BROKEN = [
    "missing folder",
    "empty folder",
    "stray file",
    "month as a file",
    "month without entries",
    "garbage entries",
    "entries a folder",
    "not a month",
    "one journal",
]


@pytest.mark.parametrize("how", BROKEN)
def test_a_set_that_cannot_be_read_is_one_line_exit_2(capsys, months_dir, log_key, pub, how):
    break_set(months_dir, how)
    with pytest.raises(SetError):
        verify_set(months_dir, log_key.verifier)
    status, out, err = verify_all(capsys, months_dir, "--key", pub)
    assert status == 2 and not out
    assert len(err.splitlines()) == 1 and err.startswith(f"vigie audit: {months_dir}")


def test_a_bad_key_or_option_is_one_line_exit_2(capsys, tmp_path, months_dir, pub):
    (tmp_path / "garbage.pub").write_bytes(bytes(range(256)))
    for args in (
        ("--key", tmp_path / "garbage.pub"),
        ("--key", tmp_path / "none.pub"),
        ("--key", pub, "--witness", pub),
        ("--key", pub, "--retention-days", "0"),
    ):
        status, out, err = verify_all(capsys, months_dir, *args)
        assert status == 2 and not out and len(err.splitlines()) == 1, (args, err)


def test_garbage_in_the_set_through_the_command_line(months_dir, pub):
    """As a user runs it: no traceback."""
    (months_dir / "2026-02" / ENTRIES).write_bytes(b"\xff\xfe" + bytes(range(200)))
    r = subprocess.run(
        [sys.executable, "-m", "vigie.cli", "audit", "verify-all", str(months_dir), "--key",
         str(pub)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith(f"vigie audit: {months_dir / '2026-02' / ENTRIES}: not a journal")


# --- the checkpoint cadence: N entries or T seconds, whichever first ----------------------


def test_the_writer_signs_every_n_entries_by_default(tmp_path, log_key):
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with Journal(tmp_path / "j", log_key, clock=clock) as journal:
        assert journal.checkpoint_every == JOURNAL_CHECKPOINT_ENTRIES
        assert journal.checkpoint_interval_s == JOURNAL_CHECKPOINT_S
        for i in range(JOURNAL_CHECKPOINT_ENTRIES + 5):
            journal.append({"action": "a", "decision": "allow", "i": i})
        sizes = [n.checkpoint().size for n in journal.checkpoints()]
    assert sizes == [JOURNAL_CHECKPOINT_ENTRIES]
    assert verify(tmp_path / "j", log_key.verifier).unsigned == 5


def test_the_writer_signs_after_t_seconds_even_when_idle(tmp_path, log_key):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    clock = Clock(start)
    with Journal(tmp_path / "j", log_key, clock=clock) as journal:
        journal.append({"action": "a", "decision": "allow"})
        assert journal.checkpoints() == [] and not journal.tick()  # too early
        clock.when = start + dt.timedelta(seconds=JOURNAL_CHECKPOINT_S)
        journal.append({"action": "b", "decision": "allow"})  # on append ...
        assert [n.checkpoint().size for n in journal.checkpoints()] == [2]
        journal.append({"action": "c", "decision": "allow"})
        clock.when = start + dt.timedelta(seconds=2 * JOURNAL_CHECKPOINT_S)
        assert journal.tick()  # ... and with nothing appended: the idle tail is signed
        assert [n.checkpoint().size for n in journal.checkpoints()] == [2, 3]
        assert not journal.tick()  # nothing waiting
    assert verify(tmp_path / "j", log_key.verifier, max_unsigned=0).ok


def test_the_cadence_keeps_the_unsigned_tail_small(tmp_path, log_key):
    assert JOURNAL_CHECKPOINT_ENTRIES <= 1000 and JOURNAL_CHECKPOINT_S <= 5
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    journals = JournalSet(tmp_path / "journal", log_key, clock=clock)
    for i in range(3 * JOURNAL_CHECKPOINT_ENTRIES):
        journals.append({"action": "a", "decision": "allow", "i": i})
    report = verify(tmp_path / "journal" / "2026-01", log_key.verifier)
    assert report.unsigned < JOURNAL_CHECKPOINT_ENTRIES
    journals.close()


def test_a_month_that_cannot_open_opens_once_the_disk_is_back(tmp_path, log_key, monkeypatch):
    """Fail-closed: the opening entry cannot be made durable (a full disk): the append
    fails, nothing is left half-written, and the next append opens the month."""
    root = tmp_path / "journal"
    clock = Clock(dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    journals = JournalSet(root, log_key, clock=clock)
    journals.append({"action": "a", "decision": "allow"})
    clock.when = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    real, failed = Journal.checkpoint, []

    def full_disk(self):
        if self.path.name == "2026-02" and not failed:
            failed.append(self.size)
            raise OSError(28, "No space left on device")
        return real(self)

    monkeypatch.setattr(Journal, "checkpoint", full_disk)
    with pytest.raises(OSError):
        journals.append({"action": "b", "decision": "allow"})
    assert failed == [1] and (root / "2026-02" / ENTRIES).read_bytes() == b""
    journals.append({"action": "b", "decision": "allow"})
    journals.close()
    assert [e["action"] for e in entries(root / "2026-02")] == [OPENED, "b"]
    assert verify_set(root, log_key.verifier, now=NOW).ok
