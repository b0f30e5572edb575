"""Fixtures of the audit tests: keys, a witness, a journal with a few hundred entries."""

from __future__ import annotations

import pytest

from tests.audit.journal_entries import sample
from vigie.audit.journal import Journal
from vigie.audit.note import COSIGNATURE, Signer
from vigie.audit.witness import Witness


@pytest.fixture(scope="session")
def log_key():
    return Signer.generate("vigie-journal-78")


@pytest.fixture(scope="session")
def witness_key():
    return Signer.generate("dpo-78", COSIGNATURE)


@pytest.fixture
def journal_dir(tmp_path, log_key, witness_key):
    """A journal of 250 entries, checkpointed every 100, each checkpoint cosigned."""
    path = tmp_path / "journal"
    witness = Witness(witness_key, log_key.verifier, tmp_path / "witness.json")
    journal = Journal(path, log_key, checkpoint_every=10**9, checkpoint_interval_s=10**9)
    for i in range(250):
        journal.append(sample(i))
        if (i + 1) % 100 == 0 or i == 249:
            old = witness.last()[0]
            note = journal.checkpoint()
            journal.add_cosignature(witness.cosign(note, journal.prove_consistency(old)))
    journal.close()
    return path
