"""The witness's off-host copy (`vigie audit follow`): an extension is copied and
cosigned; a journal rewritten, truncated, forked or garbage is refused, and then
the copy and the witness's state are exactly as before."""

from __future__ import annotations

import shutil

import pytest

from tests.audit.journal_entries import lines, sample, write_lines
from vigie.audit.follow import FolderSource, FollowRefused, follow
from vigie.audit.journal import CHECKPOINTS, ENTRIES, Journal
from vigie.audit.note import SignedNote, Signer
from vigie.audit.verify import verify
from vigie.cli import main


def grow(path, key, n):
    """Append `n` entries to the central journal and sign a checkpoint."""
    journal = Journal(path, key, checkpoint_every=10**9, checkpoint_interval_s=10**9)
    for _ in range(n):
        journal.append(sample(journal.size))
    journal.checkpoint()
    journal.close()


def snapshot(*folders):
    return {
        p.relative_to(f.parent): p.read_bytes()
        for f in folders
        for p in sorted(f.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def central(tmp_path, log_key):
    path = tmp_path / "central"
    grow(path, log_key, 40)
    return path


def run(tmp_path, central, log_key, witness_key):
    return follow(
        FolderSource(central), tmp_path / "copy", tmp_path / "state", witness_key, log_key.verifier
    )


def test_an_extension_is_copied_and_cosigned(tmp_path, central, log_key, witness_key):
    (done,) = run(tmp_path, central, log_key, witness_key)
    assert (done.size, done.cosigned, done.previous) == (40, 40, 0)
    grow(central, log_key, 25)
    (done,) = run(tmp_path, central, log_key, witness_key)
    assert (done.size, done.cosigned, done.previous) == (65, 65, 40)
    copy = tmp_path / "copy"
    assert (copy / ENTRIES).read_bytes() == (central / ENTRIES).read_bytes()
    report = verify(copy, log_key.verifier, witness_key.verifier)
    assert report.ok and report.witnessed == 65
    (again,) = run(tmp_path, central, log_key, witness_key)
    assert again.cosigned == 0 and again.size == 65


def test_a_line_being_written_waits_for_the_next_run(tmp_path, central, log_key, witness_key):
    with open(central / ENTRIES, "ab") as f:
        f.write(b'{"seq":40,"action":"half')
    (done,) = run(tmp_path, central, log_key, witness_key)
    assert done.size == 40 and (tmp_path / "copy" / ENTRIES).read_bytes().endswith(b"}\n")


def edit_line(central, log_key):
    rows = lines(central)
    rows[3] = rows[3].replace(b'"allow"', b'"deny"')
    write_lines(central, rows)


def truncate(central, log_key):
    write_lines(central, lines(central)[:30])


def fork_resigned(central, log_key):
    """The central host rewrites entry 5, recomputes everything and signs again with
    its own key: consistent in itself, not with what the witness holds."""
    rows = lines(central)
    shutil.rmtree(central)
    journal = Journal(central, log_key, checkpoint_every=10**9, checkpoint_interval_s=10**9)
    for i in range(len(rows) + 10):
        entry = sample(i)
        if i == 5:
            entry["reason"] = "rewritten"
        journal.append(entry)
    journal.checkpoint()
    journal.close()


def garbage(central, log_key):
    (central / ENTRIES).write_bytes(b"<html>502 Bad Gateway</html>\n" * 50)


def foreign_checkpoint(central, log_key):
    other = Signer.generate(log_key.name)  # same name, another key
    grow(central, log_key, 5)
    note = SignedNote(SignedNote.parse(latest(central).read_text()).body)
    note.sign(other)
    latest(central).write_text(note.text())


def latest(central):
    return sorted((central / CHECKPOINTS).iterdir())[-1]


@pytest.mark.parametrize(
    "attack", [edit_line, truncate, fork_resigned, garbage, foreign_checkpoint], ids=str
)
def test_a_rewrite_is_refused_and_nothing_changes(tmp_path, central, log_key, witness_key, attack):
    run(tmp_path, central, log_key, witness_key)
    before = snapshot(tmp_path / "copy", tmp_path / "state")
    attack(central, log_key)
    with pytest.raises(FollowRefused):
        run(tmp_path, central, log_key, witness_key)
    assert snapshot(tmp_path / "copy", tmp_path / "state") == before


def test_garbage_is_refused_on_the_first_run_too(tmp_path, central, log_key, witness_key):
    (central / ENTRIES).write_bytes(b"not a journal\n")
    with pytest.raises(FollowRefused):
        run(tmp_path, central, log_key, witness_key)
    assert not list((tmp_path / "state").iterdir())


def test_the_journal_gone_is_refused(tmp_path, central, log_key, witness_key):
    run(tmp_path, central, log_key, witness_key)
    shutil.rmtree(central)
    central.mkdir()
    with pytest.raises(FollowRefused, match="gone"):
        run(tmp_path, central, log_key, witness_key)


def test_months_each_have_their_state(tmp_path, log_key, witness_key):
    root = tmp_path / "months"
    grow(root / "2026-11", log_key, 12)
    grow(root / "2026-12", log_key, 7)
    done = follow(FolderSource(root), tmp_path / "copy", tmp_path / "state", witness_key,
                  log_key.verifier)  # fmt: skip
    assert [(d.journal, d.cosigned) for d in done] == [("2026-11", 12), ("2026-12", 7)]
    assert {p.name for p in (tmp_path / "state").iterdir()} == {"2026-11.json", "2026-12.json"}
    grow(root / "2026-10", log_key, 3)  # a month slipped in before those held
    with pytest.raises(FollowRefused, match="2026-10"):
        follow(FolderSource(root), tmp_path / "copy", tmp_path / "state", witness_key,
               log_key.verifier)  # fmt: skip


def test_cli_exit_codes(tmp_path, central, log_key, witness_key, capsys):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "log.pub").write_text(log_key.verifier.text() + "\n")
    (keys / "w.key").write_bytes(witness_key.pem())
    argv = ["audit", "follow", str(central), "--copy", str(tmp_path / "copy"),
            "--state", str(tmp_path / "state"), "--witness-key", str(keys / "w.key"),
            "--name", witness_key.name, "--log-key", str(keys / "log.pub")]  # fmt: skip
    assert main(argv) == 0
    assert "40 entries held, cosigned 40" in capsys.readouterr().out
    edit_line(central, log_key)
    assert main(argv) == 1
    assert "JOURNAL-REFUSED: journal: entry 3 rewritten" in capsys.readouterr().err
    (keys / "log.pub").write_text(witness_key.verifier.text() + "\n")
    assert main(argv) == 2
