"""The inventories the tests start from: the small base (`BASE`), the rules' cases
(`CASES`), the pilot (`PILOT`), the date they are checked at (`TODAY`), and copies of
the base (`overlay`, `committed_base`)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
BASE = HERE / "data" / "base"
CASES = HERE / "cases"
REPO = HERE.parent.parent
PILOT = REPO / "inventories" / "pilot"
# Authorisations are checked against a date: tests pin it.
TODAY = dt.date(2026, 1, 15)


def overlay(target: Path, *layers: Path) -> Path:
    """Copy the base inventory to `target`, then each layer's files over it."""
    shutil.copytree(BASE, target)
    for layer in layers:
        shutil.copytree(layer, target, dirs_exist_ok=True)
    return target


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def committed_base(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the base inventory in `inv/`
    (what `vigie plan --base` compares a change with)."""
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo / "inv")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo
