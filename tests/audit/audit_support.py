"""Journal entries shared by the audit tests (a module with its own name, not conftest)."""

from __future__ import annotations


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
