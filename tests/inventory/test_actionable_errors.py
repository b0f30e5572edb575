"""Errors a commune's technician can act on: what is expected, with an example.

Never a raw regular expression, a far-fetched "did you mean", PyYAML's own words
for a tab, a date with no format, nor an `[Errno 40]` from Ansible where
`vigie validate` says YAML-UNREADABLE.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inventory.inventories import REPO, TODAY
from vigie.loader import check_inventory

COLLEGE = Path("sites") / "college.yml"


def errors_after(root: Path, old: str, new: str, rel: Path = COLLEGE) -> list:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    _inv, diags = check_inventory(root, today=TODAY)
    return [d for d in diags if d.severity == "error"]


@pytest.mark.parametrize(
    ("written", "example"),
    [("collège-houdan", "college-houdan"), ("Collège Houdan", "college-houdan")],
)
def test_an_id_with_an_accent_or_a_space_says_which_characters_with_an_example(
    base_copy: Path, written: str, example: str
):
    [error] = errors_after(base_copy, "id: college\n", f"id: {written}\n")
    assert (error.rule, error.line) == ("SCHEMA-TYPE", 2)
    assert "lowercase letters a-z, digits and '-'" in error.message
    assert "no accent, space" in error.message and written in error.message
    assert error.hint == f"e.g. {example!r}"
    assert "pattern" not in error.format() and "[a-z0-9]" not in error.format()


def test_a_misspelt_key_suggests_the_close_key_of_that_object(base_copy: Path):
    [error] = errors_after(base_copy, "{id: couloir, area:", "{id: couloir, aera:")
    assert (error.rule, error.message) == ("SCHEMA-UNKNOWN-KEY", "unknown key 'aera'")
    assert error.hint == "did you mean 'area'?"


def test_a_key_close_to_no_key_gets_no_suggestion(base_copy: Path):
    [error] = errors_after(base_copy, "{id: couloir, area:", "{id: couloir, zzqx: 1, area:")
    assert error.rule == "SCHEMA-UNKNOWN-KEY" and "did you mean" not in error.hint


@pytest.mark.parametrize("indent", ["\t", "  \t  "])
def test_a_tab_in_the_indentation_says_so_with_its_column(base_copy: Path, indent: str):
    [error] = errors_after(base_copy, "    kind: college", f"{indent}kind: college")
    assert (error.path, error.line, error.rule) == (f"{base_copy}/{COLLEGE}", 4, "YAML-SYNTAX")
    column = indent.index("\t") + 1
    assert error.message == f"YAML indentation uses spaces; a tab was found at column {column}"
    assert "token" not in error.format() and "violates" not in error.format()


@pytest.mark.parametrize("written", ["01/09/2026", "2026-9-1", '"2026-09-01"', "20260901"])
def test_a_date_in_another_format_names_the_expected_one(base_copy: Path, written: str):
    [error] = errors_after(
        base_copy, "issued: 2024-01-01", f"issued: {written}", Path("agencies.yml")
    )
    assert error.rule == "SCHEMA-TYPE" and error.message.startswith("issued: got ")
    assert "YYYY-MM-DD (ISO 8601)" in error.message and "2026-09-01" in error.hint


def test_a_date_that_does_not_exist_names_the_expected_format(base_copy: Path):
    [error] = errors_after(
        base_copy, "issued: 2024-01-01", "issued: 2024-02-30", Path("agencies.yml")
    )
    assert error.rule == "YAML-VALUE" and "as a date: day is out of range" in error.message
    assert "YYYY-MM-DD" in error.hint and "timestamp" not in error.format()


# --- a symbolic link loop: the same answer from validate and from Ansible ------------


def test_a_symlink_loop_is_yaml_unreadable_for_ansible_too(base_copy: Path, tmp_path: Path):
    os.symlink("loop.yml", base_copy / "sites" / "loop.yml")  # points at itself
    (base_copy / "vigie.yml").write_text("plugin: vigie\n", encoding="utf-8")
    _inv, diags = check_inventory(base_copy, today=TODAY)
    [said] = [d.format() for d in diags if d.severity == "error"]
    assert "sites/loop.yml:1: YAML-UNREADABLE" in said
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(base_copy), "--list"],
        cwd=REPO,
        env={
            **os.environ,
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert said.split(": ", 1)[1] in result.stderr  # `sites/loop.yml:1: YAML-UNREADABLE: ...`
    assert "Errno" not in result.stderr and "Too many levels" not in result.stderr
