"""The journal: append, checkpoints, the witness, and every tampering `verify` must catch
and name."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.audit.journal_entries import lines, rewrite_leaves, sample, write_lines
from vigie.audit.journal import CHECKPOINTS, ENTRIES, LEAVES, Journal, JournalError
from vigie.audit.merkle import leaf_hash, verify_inclusion
from vigie.audit.note import Checkpoint, SignedNote, Signer
from vigie.audit.verify import verify
from vigie.audit.witness import Witness, WitnessRefused


def test_an_intact_journal_verifies(journal_dir, log_key, witness_key):
    report = verify(journal_dir, log_key.verifier, witness_key.verifier, entry=123)
    assert report.ok, report.problems
    assert (report.size, report.checkpoints, report.cosigned) == (250, 3, 3)


def test_entries_are_canonical_and_hold_no_image(tmp_path, log_key):
    with Journal(tmp_path / "j", log_key) as journal:
        assert journal.append({"decision": "allow", "action": "x", "b": 1}) == 0
        with pytest.raises(JournalError):
            journal.append({"action": "snapshot", "decision": "allow", "image": b"\xff\xd8"})
        with pytest.raises(JournalError):
            journal.append({"action": "x"})
        with pytest.raises(JournalError):
            journal.append({"action": "x", "decision": "allow", "seq": 5})
    first = lines(tmp_path / "j")[0]
    assert first.startswith(b'{"seq":0,"action":"x","b":1,"decision":"allow","time":')
    assert json.loads(first)["seq"] == 0


def test_reopened_journal_continues_and_proves(journal_dir, log_key):
    with Journal(journal_dir, log_key) as journal:
        assert journal.size == 250
        index = journal.append(sample(250))
        journal.checkpoint()
        cp = journal.latest_checkpoint().checkpoint()
        proof = journal.prove_inclusion(index)
        assert cp.size == 251
        assert verify_inclusion(leaf_hash(lines(journal_dir)[index]), index, 251, proof, cp.root)
    assert verify(journal_dir, log_key.verifier).ok


def test_a_journal_that_no_longer_matches_refuses_to_open(journal_dir, log_key):
    rows = lines(journal_dir)
    rows[10] = rows[10].replace(b"ggd78", b"ggd79", 1)
    write_lines(journal_dir, rows)
    with pytest.raises(JournalError):
        Journal(journal_dir, log_key)


def test_one_byte_changed(journal_dir, log_key):
    rows = lines(journal_dir)
    pos = rows[42].index(b"ggd78") + 2
    rows[42] = rows[42][:pos] + bytes([rows[42][pos] ^ 1]) + rows[42][pos + 1 :]  # one byte
    write_lines(journal_dir, rows)
    report = verify(journal_dir, log_key.verifier)
    assert not report.ok and report.problems[0].startswith("entry 42:")


def test_one_byte_changed_and_leaves_recomputed(journal_dir, log_key):
    """The forger recomputes leaves.bin: the signed checkpoint still catches it."""
    rows = lines(journal_dir)
    rows[142] = rows[142].replace(b"ggd78", b"ggd79", 1)
    write_lines(journal_dir, rows)
    rewrite_leaves(journal_dir)
    report = verify(journal_dir, log_key.verifier)
    assert report.problems == [
        "entries 100..199: do not match signed checkpoint 200 (an entry in this range was "
        "changed, added, removed or moved)"
    ]


def test_reordered(journal_dir, log_key):
    rows = lines(journal_dir)
    rows[60], rows[61] = rows[61], rows[60]
    write_lines(journal_dir, rows)
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0] == "entry 60: out of place (its seq is 61)"


def test_truncated(journal_dir, log_key):
    write_lines(journal_dir, lines(journal_dir)[:230])
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0].startswith("entry 230: journal truncated")
    (journal_dir / LEAVES).write_bytes((journal_dir / LEAVES).read_bytes()[: 230 * 32])
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0].startswith("entry 230: journal truncated: checkpoint")


def test_entry_removed_and_renumbered(journal_dir, log_key):
    rows = lines(journal_dir)
    del rows[7]
    renumbered = [b'{"seq":%d,' % i + r.split(b",", 1)[1] for i, r in enumerate(rows)]
    write_lines(journal_dir, renumbered)
    rewrite_leaves(journal_dir)
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0].startswith("entries 0..99: do not match signed checkpoint 100")


def test_forged_checkpoint(journal_dir, log_key):
    """A checkpoint re-signed by another key over a rewritten journal is refused."""
    forger = Signer.generate(log_key.name)
    cp_file = sorted((journal_dir / CHECKPOINTS).iterdir())[-1]
    note = SignedNote.parse(cp_file.read_text())
    cp = note.checkpoint()
    forged = SignedNote(Checkpoint(cp.origin, cp.size, b"\x00" * 32).body())
    forged.sign(forger)
    cp_file.write_text(forged.text())
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0] == f"checkpoint {cp_file.name}: signature does not verify"


def test_checkpoint_altered_by_one_byte(journal_dir, log_key):
    cp_file = sorted((journal_dir / CHECKPOINTS).iterdir())[0]
    text = cp_file.read_text()
    cp_file.write_text(text.replace("\n100\n", "\n101\n"))
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0].startswith(f"checkpoint {cp_file.name}:")


def test_witnessed_up_to_the_last_cosigned_checkpoint(journal_dir, log_key, witness_key):
    with Journal(journal_dir, log_key) as journal:
        journal.append(sample(300))
        journal.checkpoint()
    report = verify(journal_dir, log_key.verifier, witness_key.verifier)
    assert report.ok and (report.witnessed, report.size) == (250, 251)


def test_no_cosignature_at_all(tmp_path, log_key, witness_key):
    with Journal(tmp_path / "j", log_key) as journal:
        journal.append(sample(1))
        journal.checkpoint()
    assert verify(tmp_path / "j", log_key.verifier).ok
    report = verify(tmp_path / "j", log_key.verifier, witness_key.verifier)
    assert report.problems == [f"no checkpoint is cosigned by witness {witness_key.name}"]


def test_witness_refuses_an_inconsistent_checkpoint(tmp_path, journal_dir, log_key, witness_key):
    """The log forks: a rewritten history signed by the log's own key is refused by the
    witness, which remembers what it cosigned."""
    state = tmp_path / "witness.json"  # the fixture's witness state: it cosigned 250
    witness = Witness(witness_key, log_key.verifier, state)
    assert witness.last()[0] == 250
    fork = tmp_path / "fork"
    shutil.copytree(journal_dir, fork)
    shutil.rmtree(fork / CHECKPOINTS)
    rows = lines(fork)
    rows[3] = rows[3].replace(b"ggd78", b"ggd79", 1)
    write_lines(fork, rows)
    (fork / LEAVES).unlink()
    with Journal(fork, log_key) as forked:
        forked.append(sample(250))
        note = forked.checkpoint()
        proof = forked.prove_consistency(250)
    with pytest.raises(WitnessRefused, match="not consistent with 250"):
        witness.cosign(note, proof)
    with Journal(journal_dir, log_key) as honest:
        honest.append(sample(250))
        good = honest.checkpoint()
        assert witness.cosign(good, honest.prove_consistency(250))
    with pytest.raises(WitnessRefused, match="older"):
        witness.cosign(_note_of_size(log_key, 10), [])


def _note_of_size(key, size):
    note = SignedNote(Checkpoint(key.name, size, b"\x01" * 32).body())
    note.sign(key)
    return note.text()


def test_witness_refuses_a_note_not_signed_by_the_log(tmp_path, log_key, witness_key):
    witness = Witness(witness_key, log_key.verifier, tmp_path / "w.json")
    with pytest.raises(WitnessRefused, match="not signed"):
        witness.cosign(_note_of_size(Signer.generate(log_key.name), 5), [])


def test_a_crash_mid_line_is_dropped(tmp_path, log_key):
    path = tmp_path / "j"
    with Journal(path, log_key) as journal:
        journal.append(sample(0))
        journal.checkpoint()
    with open(path / ENTRIES, "ab") as f:
        f.write(b'{"seq":1,"act')
    with Journal(path, log_key) as journal:
        assert journal.size == 1
        journal.append(sample(1))
        journal.checkpoint()
    assert verify(path, log_key.verifier).ok


def test_reordered_after_the_last_checkpoint(journal_dir, log_key):
    """Entries not yet under a signed checkpoint: `seq` still names a move."""
    with Journal(journal_dir, log_key) as journal:
        for i in range(250, 260):
            journal.append(sample(i))
        journal.flush()
        rows = lines(journal_dir)
    rows[255], rows[256] = rows[256], rows[255]
    write_lines(journal_dir, rows)
    rewrite_leaves(journal_dir)
    report = verify(journal_dir, log_key.verifier)
    assert report.problems[0] == "entry 255: out of place (its seq is 256)"
