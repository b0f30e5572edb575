"""The `vigie` command never destroys or misleads by accident.

`generate` does not write over an existing directory unless told (`--replace`);
`validate` on a folder inside an inventory says, once, that it is not an
inventory's root; `plan` with an unknown git ref says so in one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inventory.inventories import BASE, REPO, committed_base

VIGIE = [sys.executable, "-m", "vigie.cli"]
PRODUCTION = REPO / "inventories" / "production"


def vigie(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*VIGIE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- generate --------------------------------------------------------------------------


def test_generate_refuses_to_write_over_an_inventory(tmp_path: Path):
    target = tmp_path / "production"
    shutil.copytree(PRODUCTION, target)
    before = snapshot(target)
    result = vigie("generate", target, "--cameras", "300")
    assert result.returncode == 2, result.stderr
    assert "not empty" in result.stderr and "--replace" in result.stderr
    assert result.stderr.count("\n") == 1  # one line, no traceback
    assert snapshot(target) == before  # communes, sites and lock untouched


def test_generate_refuses_a_file_as_its_directory(tmp_path: Path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me\n")
    result = vigie("generate", target, "--cameras", "300", "--replace")
    assert result.returncode == 2
    assert "not a directory" in result.stderr
    assert target.read_text() == "keep me\n"


def test_generate_writes_into_a_new_or_empty_directory(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    for name in ("empty", "new"):
        result = vigie("generate", tmp_path / name, "--cameras", "300")
        assert result.returncode == 0, result.stderr
        assert (tmp_path / name / "departement.yml").is_file()


def test_generate_replace_rewrites_the_directory(tmp_path: Path):
    target = tmp_path / "synthetic"
    assert vigie("generate", target, "--cameras", "300", "--seed", "1").returncode == 0
    (target / "stale.yml").write_text("sites: []\n")
    result = vigie("generate", target, "--cameras", "300", "--seed", "1", "--replace")
    assert result.returncode == 0, result.stderr
    assert not (target / "stale.yml").exists()
    assert vigie("validate", target).returncode == 0


def test_generate_replace_never_removes_the_working_directory(tmp_path: Path):
    target = tmp_path / "synthetic"
    assert vigie("generate", target, "--cameras", "300").returncode == 0
    before = snapshot(target)
    result = vigie("generate", ".", "--cameras", "300", "--replace", cwd=target)
    assert result.returncode == 2
    assert "working directory" in result.stderr
    assert snapshot(target) == before


# --- validate on a folder that is not an inventory's root -----------------------------


@pytest.mark.parametrize("folder", ["communes", "sites"])
def test_validate_a_subfolder_says_it_is_not_an_inventory_root(folder: str):
    result = vigie("validate", PRODUCTION / folder)
    assert result.returncode == 2  # a usage error: the wrong folder
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # said once, not one schema error per camera
    assert "SCHEMA-" not in result.stdout
    assert "not an inventory's root" in lines[0]
    assert "departement" in lines[0]  # what a root holds
    assert f"vigie validate {PRODUCTION}" in lines[0]  # the parent folder is one
    assert "Traceback" not in result.stderr


def test_validate_a_folder_with_no_inventory_above_names_what_a_root_holds(tmp_path: Path):
    folder = tmp_path / "loose"
    folder.mkdir()
    shutil.copy(PRODUCTION / "communes" / "78380-maule.yml", folder)
    result = vigie("validate", folder)
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 1, result.stdout
    assert "not an inventory's root" in result.stdout and "departement" in result.stdout
    assert "vigie validate" not in result.stdout  # no parent to suggest


def test_an_inventory_root_still_reports_its_schema_errors(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    (root / "sites" / "x.yml").write_text("sites:\n  - id: x\n")
    result = vigie("validate", root)
    assert result.returncode == 1
    assert "SCHEMA-MISSING" in result.stdout and "not an inventory's root" not in result.stdout


# --- plan with an unknown git ref -----------------------------------------------------


def test_plan_with_an_unknown_ref_says_so_in_one_line(tmp_path: Path):
    repo = committed_base(tmp_path)
    result = vigie("plan", "inv", "--base", "nosuch", cwd=repo)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert "nosuch" in result.stderr and "unknown git ref" in result.stderr
    assert "CalledProcessError" not in result.stderr and "Command '[" not in result.stderr


def test_plan_outside_a_git_repository_says_so_in_one_line(tmp_path: Path):
    shutil.copytree(BASE, tmp_path / "inv")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    result = subprocess.run(
        [*VIGIE, "plan", "inv", "--base", "main"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "not in a git repository" in result.stderr
