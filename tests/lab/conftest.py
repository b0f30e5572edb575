"""Shared fixtures of the lab tests.

The end-to-end tests (marked `docker`) run against the lab that `make test-lab`
brings up; they read `.lab/state.json` (shape in lab/README.md). Without a lab
they are skipped on a developer's machine; in CI (CI=true) or with
VIGIE_LAB_REQUIRED=1 (set by `make test-lab`) a missing lab is a failure: every
end-to-end test runs or the run fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.containers import lab_required, read_state


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
    module = request.module.__name__.rpartition(".")[2]  # tests.lab.test_x: test_x
    return tmp_path_factory.mktemp(module.removeprefix("test_"))
