"""Journal entries for the audit tests: a sample entry, and a journal's entry lines read,
written back and their leaf hashes recomputed (to tamper with a journal on disk)."""

from __future__ import annotations

from vigie.audit.journal import ENTRIES, LEAVES
from vigie.audit.merkle import leaf_hash


def sample(i: int) -> dict:
    return {
        "action": "segment_allowed" if i % 3 else "grant_created",
        "decision": "allow" if i % 7 else "deny",
        "actor": {"agency": "ggd78", "operator": f"ggd78/op-000{i % 3 + 7}"},
        "camera": "col-houdan/portail" if i % 2 else "col-houdan/couloir",
        "event": f"ev-{i // 10}",
        "window": [1_700_000_000 + i, 1_700_001_200 + i],
        "rule": "ACCESS-FORCE-COMPETENT",
        "reason": "token valid, segment inside the window",
        "time": 1_700_000_000 + i,
    }


def lines(path):
    return (path / ENTRIES).read_bytes().split(b"\n")[:-1]


def write_lines(path, rows):
    (path / ENTRIES).write_bytes(b"".join(r + b"\n" for r in rows))


def rewrite_leaves(path):
    (path / LEAVES).write_bytes(b"".join(leaf_hash(r) for r in lines(path)))
