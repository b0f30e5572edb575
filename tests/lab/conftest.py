"""Shared fixtures of the lab tests.

The end-to-end tests (marked `docker`) run against the lab that `make test-lab`
brings up; they read `.lab/state.json` (shape in lab/README.md). Without a lab
they are skipped, unless VIGIE_LAB_REQUIRED=1 (set by `make test-lab`), where a
missing lab is a failure.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STATE = ROOT / ".lab" / "state.json"


@pytest.fixture(scope="session")
def lab() -> dict:
    if not STATE.exists():
        if os.environ.get("VIGIE_LAB_REQUIRED") == "1":
            pytest.fail("no lab: .lab/state.json is missing (did `make lab` fail?)")
        pytest.skip("no lab running: `make test-lab` brings one up")
    return json.loads(STATE.read_text())


@pytest.fixture(scope="session")
def recorders(lab) -> list[dict]:
    found = [dict(h, name=n) for n, h in sorted(lab["hosts"].items()) if h["kind"] == "recorder"]
    assert found, "the lab has no recorder"
    return found
