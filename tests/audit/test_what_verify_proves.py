"""What `verify` proves beyond the entries and their signed checkpoints: against the
witness's state (a tail truncated, a history rewritten and re-signed with the
journal's own key), the entries not yet signed, the journal's key offered as a
witness, a bad cosignature beside good ones, a checkpoint not byte for byte as
signed, and the CLI's answer to bad input (exit 2, one line, never a traceback)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys

import pytest

from tests.audit.journal_entries import lines, rewrite_leaves, sample, write_lines
from vigie.audit.journal import CHECKPOINTS, LEAVES, Journal, checkpoint_name
from vigie.audit.merkle import Levels, leaf_hash
from vigie.audit.note import COSIGNATURE, DASH, Checkpoint, SignedNote, Signer, Verifier
from vigie.audit.verify import verify
from vigie.audit.witness import Witness, WitnessRefused
from vigie.cli import main


def state_of(tmp_path) -> tuple[int, bytes]:
    """The fixture's witness state, kept on the witness's host: it cosigned 250."""
    data = json.loads((tmp_path / "witness.json").read_text())
    return data["size"], base64.b64decode(data["root"])


def checkpoint_file(journal, size):
    return journal / CHECKPOINTS / checkpoint_name(size)


def truncate(journal, size):
    """Cut the journal's tail and, with it, the checkpoints above `size`."""
    write_lines(journal, lines(journal)[:size])
    (journal / LEAVES).write_bytes((journal / LEAVES).read_bytes()[: 32 * size])
    for f in (journal / CHECKPOINTS).iterdir():
        if int(f.name) > size:
            f.unlink()


def rewrite_history(journal, log_key, *, change=3, append=0):
    """The host rewrites its history and signs it again with its own key."""
    shutil.rmtree(journal / CHECKPOINTS)
    rows = lines(journal)
    rows[change] = rows[change].replace(b"ggd78", b"ggd79", 1)
    write_lines(journal, rows)
    (journal / LEAVES).unlink()
    with Journal(journal, log_key, checkpoint_every=10**9) as forged:
        for i in range(append):
            forged.append(sample(1000 + i))
        forged.checkpoint()


def run_cli(capsys, *args) -> tuple[int, str, str]:
    status = main(["audit", "verify", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture
def keys(tmp_path, log_key, witness_key):
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "journal.pub").write_text(log_key.verifier.text() + "\n")
    (folder / "dpo.pub").write_text(witness_key.verifier.text() + "\n")
    return folder


# --- the witness's state: a truncated tail, a rewritten history --------------------------


@pytest.mark.parametrize("size", [200, 230])
def test_a_tail_cut_with_its_checkpoints_is_caught_by_the_witness_state(
    tmp_path, journal_dir, log_key, witness_key, size
):
    truncate(journal_dir, size)
    # Alone, the journal is consistent: nothing in it remembers entries 200..249 ...
    assert verify(journal_dir, log_key.verifier, witness_key.verifier).ok
    # ... the witness does.
    report = verify(
        journal_dir, log_key.verifier, witness_key.verifier, witness_state=state_of(tmp_path)
    )
    assert report.problems == [
        f"entry {size}: journal truncated: the witness cosigned 250 entries, the journal "
        f"holds {size}"
    ]


def test_a_history_rewritten_and_resigned_by_the_host_is_caught(tmp_path, journal_dir, log_key):
    rewrite_history(journal_dir, log_key)
    assert verify(journal_dir, log_key.verifier).ok  # signed by the journal's own key
    report = verify(journal_dir, log_key.verifier, witness_state=state_of(tmp_path))
    assert report.problems == [
        "entries 0..249: do not match the tree the witness cosigned at size 250 "
        "(the history was rewritten)"
    ]


def test_a_tail_cut_then_regrown_is_caught(tmp_path, journal_dir, log_key):
    """Cut back to 200, append other entries past 250 and sign: longer, not the same."""
    truncate(journal_dir, 200)
    with Journal(journal_dir, log_key, checkpoint_every=10**9) as journal:
        for i in range(60):
            journal.append(sample(5000 + i))
        journal.checkpoint()
    assert verify(journal_dir, log_key.verifier).ok
    report = verify(journal_dir, log_key.verifier, witness_state=state_of(tmp_path))
    assert report.problems[0].startswith("entries 0..249: do not match the tree the witness")


def test_an_honest_journal_grown_past_the_witness_state_verifies(tmp_path, journal_dir, log_key):
    with Journal(journal_dir, log_key) as journal:
        for i in range(250, 270):
            journal.append(sample(i))
        journal.checkpoint()
    report = verify(journal_dir, log_key.verifier, witness_state=state_of(tmp_path))
    assert report.ok, report.problems
    assert verify(journal_dir, log_key.verifier, witness_state=(0, b"")).ok  # a new witness


def test_the_cosigned_checkpoint_removed_is_caught(tmp_path, journal_dir, log_key):
    checkpoint_file(journal_dir, 250).unlink()
    report = verify(journal_dir, log_key.verifier, witness_state=state_of(tmp_path))
    assert report.problems == [
        f"checkpoint {checkpoint_name(250)}: missing: the witness cosigned 250 entries, the "
        "last signed checkpoint covers 200"
    ]


def test_the_witness_state_through_the_cli(capsys, tmp_path, journal_dir, log_key, keys):
    size, root = state_of(tmp_path)
    common = (journal_dir, "--key", keys / "journal.pub")
    for state in (
        [tmp_path / "witness.json"],
        [size, root.hex()],
        [size, base64.b64encode(root).decode()],
    ):
        status, _, err = run_cli(capsys, *common, "--witness-state", *map(str, state))
        assert status == 0, err
        assert "ok: 250 entries" in err and "consistent with the witness's state at 250" in err
    # The journal after the option, as the usage line shows it.
    status, _, err = run_cli(capsys, "--key", keys / "journal.pub", "--witness-state",
                             tmp_path / "witness.json", journal_dir)  # fmt: skip
    assert status == 0, err
    status, _, err = run_cli(capsys, "--key", keys / "journal.pub", "--witness-state",
                             size, root.hex(), journal_dir)  # fmt: skip
    assert status == 0, err
    rewrite_history(journal_dir, log_key, change=120, append=10)  # longer, and rewritten
    status, out, _ = run_cli(capsys, *common, "--witness-state", tmp_path / "witness.json")
    assert status == 1
    assert "entries 0..249: do not match the tree the witness cosigned at size 250" in out
    assert run_cli(capsys, *common)[0] == 0  # without the witness's state: the hole


# --- the entries after the last signed checkpoint ----------------------------------------


def test_the_unsigned_tail_is_counted_and_bounded(capsys, journal_dir, log_key, keys):
    with Journal(journal_dir, log_key, checkpoint_every=10**9) as journal:
        for i in range(250, 257):
            journal.append(sample(i))
    report = verify(journal_dir, log_key.verifier)
    assert report.ok and (report.size, report.signed, report.unsigned) == (257, 250, 7)
    assert verify(journal_dir, log_key.verifier, max_unsigned=7).ok
    report = verify(journal_dir, log_key.verifier, max_unsigned=5)
    assert report.problems == [
        "entries 250..256: 7 entries after the last signed checkpoint (at most 5 allowed)"
    ]
    status, _, err = run_cli(capsys, journal_dir, "--key", keys / "journal.pub")
    assert status == 0
    assert "ok: 257 entries, 3 signed checkpoints" in err
    assert "7 entries after the last signed checkpoint" in err
    status, out, _ = run_cli(
        capsys, journal_dir, "--key", keys / "journal.pub", "--max-unsigned", "5"
    )
    assert status == 1 and "7 entries after the last signed checkpoint" in out


def test_a_fully_signed_journal_reports_no_unsigned_tail(capsys, journal_dir, keys):
    status, _, err = run_cli(capsys, journal_dir, "--key", keys / "journal.pub", "--witness",
                             keys / "dpo.pub", "--max-unsigned", "0")  # fmt: skip
    assert status == 0, err
    assert err.strip() == (
        f"{journal_dir}: ok: 250 entries, 3 signed checkpoints, 3 cosigned by the witness "
        "(entries up to 250 witnessed)"
    )


# --- the witness must be another key ----------------------------------------------------


def test_the_journals_own_key_is_no_witness(capsys, tmp_path, journal_dir, log_key, keys):
    report = verify(journal_dir, log_key.verifier, log_key.verifier)
    assert not report.ok and "the journal's own key" in report.problems[0]
    same = Verifier("dpo-78", COSIGNATURE, log_key.private.public_key())  # renamed, retyped
    assert not verify(journal_dir, log_key.verifier, same).ok
    status, out, err = run_cli(
        capsys, journal_dir, "--key", keys / "journal.pub", "--witness", keys / "journal.pub"
    )
    assert status == 2 and not out
    assert len(err.splitlines()) == 1 and "the journal's own key" in err
    (keys / "same.pub").write_text(same.text() + "\n")
    status, _, err = run_cli(
        capsys, journal_dir, "--key", keys / "journal.pub", "--witness", keys / "same.pub"
    )
    assert status == 2 and "the journal's own key" in err
    with pytest.raises(WitnessRefused, match="own key"):
        Witness(Signer("dpo-78", COSIGNATURE, log_key.private), log_key.verifier, tmp_path / "w")


def test_keys_of_the_wrong_type_are_usage_errors(capsys, journal_dir, keys):
    status, _, err = run_cli(capsys, journal_dir, "--key", keys / "dpo.pub")
    assert status == 2 and "not a journal (Ed25519) key" in err


# --- every signature line under a known key must verify -----------------------------------


def test_a_bad_cosignature_beside_good_ones_fails_its_checkpoint(journal_dir, log_key, witness_key):
    cp = checkpoint_file(journal_dir, 100)
    bad = witness_key.verifier.id + (1_700_000_000).to_bytes(8, "big") + b"\x00" * 64
    with open(cp, "a", encoding="utf-8") as f:
        f.write(f"{DASH} {witness_key.name} {base64.b64encode(bad).decode()}\n")
    report = verify(journal_dir, log_key.verifier, witness_key.verifier)
    assert report.problems == [
        f"checkpoint {cp.name}: cosignature by witness dpo-78 does not verify"
    ]
    assert verify(journal_dir, log_key.verifier).ok  # without a witness: not its business


def test_a_rewritten_checkpoint_keeping_the_old_cosignature_fails(
    journal_dir, log_key, witness_key
):
    """The host rewrites entries 200..249, re-signs checkpoint 250 with its own key and
    keeps the witness's line: one valid cosignature elsewhere must not cover for it."""
    rows = lines(journal_dir)
    rows[220] = rows[220].replace(b"ggd78", b"ggd79", 1)
    write_lines(journal_dir, rows)
    rewrite_leaves(journal_dir)
    cp = checkpoint_file(journal_dir, 250)
    old = SignedNote.parse(cp.read_text())
    forged = SignedNote(
        Checkpoint(old.checkpoint().origin, 250, Levels([leaf_hash(r) for r in rows]).root(250))
        .body()
    )  # fmt: skip
    forged.sign(log_key)
    forged.signatures += [s for s in old.signatures if s[0] == witness_key.name]
    cp.write_text(forged.text())
    report = verify(journal_dir, log_key.verifier, witness_key.verifier)
    assert report.problems == [
        f"checkpoint {cp.name}: cosignature by witness dpo-78 does not verify"
    ]


def test_a_bad_line_under_the_journals_key_fails_even_beside_a_good_one(journal_dir, log_key):
    cp = checkpoint_file(journal_dir, 200)
    bad = log_key.verifier.id + b"\x00" * 64
    with open(cp, "a", encoding="utf-8") as f:
        f.write(f"{DASH} {log_key.name} {base64.b64encode(bad).decode()}\n")
    report = verify(journal_dir, log_key.verifier)
    assert report.problems == [f"checkpoint {cp.name}: signature does not verify"]


def test_a_line_of_another_key_under_the_witness_name_is_ignored(journal_dir, log_key, witness_key):
    """Same name, another key id: another key of the witness (rotated), not this one."""
    other = Signer.generate(witness_key.name, COSIGNATURE)
    cp = checkpoint_file(journal_dir, 100)
    note = SignedNote.parse(cp.read_text())
    note.cosign(other, 1_700_000_000)
    cp.write_text(note.text())
    report = verify(journal_dir, log_key.verifier, witness_key.verifier)
    assert report.ok and report.cosigned == 3


# --- a checkpoint is checked as the bytes on disk -----------------------------------------


@pytest.mark.parametrize("where", ["everywhere", "signatures"])
def test_a_checkpoint_rewritten_with_crlf_fails(journal_dir, log_key, witness_key, where):
    cp = checkpoint_file(journal_dir, 200)
    data = cp.read_bytes()
    if where == "everywhere":
        data = data.replace(b"\n", b"\r\n")
    else:
        body, sigs = data.split(b"\n\n", 1)
        data = body + b"\n\n" + sigs.replace(b"\n", b"\r\n")
    cp.write_bytes(data)
    report = verify(journal_dir, log_key.verifier, witness_key.verifier)
    assert report.problems[0].startswith(f"checkpoint {cp.name}: unreadable:")


def test_a_note_is_parsed_from_its_exact_bytes(log_key):
    note = SignedNote(Checkpoint("o", 1, b"\x01" * 32).body())
    note.sign(log_key)
    assert SignedNote.parse_bytes(note.text().encode()).verify(log_key.verifier) == 0
    for bad in (note.text().replace("\n", "\r\n"), note.text()[:-1]):
        with pytest.raises(Exception, match="not a signed note"):
            SignedNote.parse_bytes(bad.encode())
    with pytest.raises(Exception, match="not UTF-8"):
        SignedNote.parse_bytes(b"\xff" + note.text().encode())


# --- bad input to the CLI: exit 2, one line, no traceback ----------------------------------


GARBAGE = {
    "binary.pub": bytes(range(256)),
    "text.pub": b"this is not a key\n",
    "plus.pub": b"a+b+c\n",
    "short.pub": b"x+00000000+AQ==\n",
    "empty.pub": b"",
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_a_garbage_key_file_is_a_usage_error(capsys, tmp_path, journal_dir, keys, name):
    (tmp_path / name).write_bytes(GARBAGE[name])
    for args in (
        ("--key", tmp_path / name),
        ("--key", keys / "journal.pub", "--witness", tmp_path / name),
    ):
        status, out, err = run_cli(capsys, journal_dir, *args)
        assert status == 2 and not out
        assert len(err.splitlines()) == 1 and err.startswith(f"vigie audit: {tmp_path / name}: ")


@pytest.mark.parametrize(
    "state",
    [
        ["250"],
        ["250", "root"],
        ["x", "AAAA"],
        ["1", "2", "3"],
        ["250", base64.b64encode(b"1").decode()],
    ],
)
def test_a_bad_witness_state_is_a_usage_error(capsys, tmp_path, journal_dir, keys, state):
    status, out, err = run_cli(
        capsys, journal_dir, "--key", keys / "journal.pub", "--witness-state", *map(str, state)
    )
    assert status == 2 and not out and len(err.splitlines()) == 1


def test_a_missing_key_or_a_directory_is_a_usage_error(capsys, tmp_path, journal_dir):
    for key in (tmp_path / "none.pub", tmp_path):
        status, out, err = run_cli(capsys, journal_dir, "--key", key)
        assert status == 2 and not out and len(err.splitlines()) == 1


def test_a_garbage_key_through_the_command_line(tmp_path, journal_dir):
    """As a user runs it: a binary file given as the key."""
    (tmp_path / "garbage.pub").write_bytes(bytes(range(256)) * 4)
    r = subprocess.run(
        [sys.executable, "-m", "vigie.cli", "audit", "verify", str(journal_dir), "--key",
         str(tmp_path / "garbage.pub")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith(f"vigie audit: {tmp_path / 'garbage.pub'}: ")


# --- the witness's side: `vigie audit cosign` on bad input --------------------------------


def cosign(capsys, journal, key_pem, log_pub, state) -> tuple[int, str, str]:
    status = main(["audit", "cosign", str(journal), "--witness-key", str(key_pem), "--name",
                   "dpo-78", "--log-key", str(log_pub), "--state", str(state)])  # fmt: skip
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cosign_refuses_a_bad_state_and_the_journals_own_key(
    capsys, tmp_path, journal_dir, log_key, witness_key, keys
):
    (keys / "dpo.key").write_bytes(witness_key.pem())
    (keys / "journal.key").write_bytes(log_key.pem())
    state = tmp_path / "witness.json"
    args = (journal_dir, keys / "dpo.key", keys / "journal.pub")
    for bad in ("not json", '{"size": 250}', '{"size": "x", "root": "AAAA"}', "[]"):
        state.write_text(bad)
        status, out, err = cosign(capsys, *args, state)
        assert status == 2 and not out and len(err.splitlines()) == 1
        assert "unreadable" in err
    status, _, err = cosign(capsys, journal_dir, keys / "journal.key", keys / "journal.pub", state)
    assert status == 2 and "the journal's own key" in err
    (keys / "garbage.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
    status, _, err = cosign(capsys, journal_dir, keys / "garbage.key", keys / "journal.pub", state)
    assert status == 2 and len(err.splitlines()) == 1
