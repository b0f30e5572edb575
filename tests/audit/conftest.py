"""Fixtures of the audit tests: keys, a witness, a journal with a few hundred entries."""

from __future__ import annotations

import pytest

from vigie.audit.journal import Journal
from vigie.audit.note import COSIGNATURE, Signer
from vigie.audit.witness import Witness


def sample(i: int) -> dict:
    return {
        "action": "segment_served" if i % 3 else "grant_created",
        "decision": "allow" if i % 7 else "deny",
        "actor": {"agency": "ggd78", "operator": f"ggd78/op-000{i % 3 + 7}"},
        "camera": "col-houdan/portail" if i % 2 else "col-houdan/couloir",
        "event": f"ev-{i // 10}",
        "window": [1_700_000_000 + i, 1_700_001_200 + i],
        "rule": "ACCESS-FORCE-COMPETENT",
        "reason": "token valid, segment inside the window",
        "time": 1_700_000_000 + i,
    }


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
