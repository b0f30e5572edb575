"""Shared fixtures of the lab tests.

The end-to-end tests (marked `docker`) run against the lab that `make test-lab`
brings up; they read `.lab/state.json` (shape in lab/README.md). Without a lab
they are skipped on a developer's machine; in CI (CI=true) or with
VIGIE_LAB_REQUIRED=1 (set by `make test-lab`) a missing lab is a failure: every
end-to-end test runs or the run fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# The operator's workstation (Chromium + certificate proxy), shared with tests/gateway.
sys.path.insert(0, str(ROOT / "tests" / "shared"))

from lab_helpers import lab_required, read_state  # noqa: E402


@pytest.fixture(scope="session")
def lab() -> dict:
    state = read_state()
    if state is None:
        if lab_required():
            pytest.fail("no lab: .lab/state.json is missing (did `make lab` fail?)")
        pytest.skip("no lab running: `make test-lab` brings one up")
    return state


@pytest.fixture(scope="session")
def recorders(lab) -> list[dict]:
    found = [dict(h, name=n) for n, h in sorted(lab["hosts"].items()) if h["kind"] == "recorder"]
    assert found, "the lab has no recorder"
    return found


@pytest.fixture(scope="session")
def inv(lab):
    """The lab's inventory, as the levée de doute tests read it (the policy's input)."""
    from lab import levee

    return levee._inventory(lab)


@pytest.fixture(scope="module")
def workdir(request, tmp_path_factory) -> Path:
    """A folder of the test module's own (identities' files, clips, the workstation)."""
    return tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_"))
