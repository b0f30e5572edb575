"""A pull request is untrusted input: every hostile file gets `path:line: RULE-ID`, exit 1.

Never a traceback, never a hang, never a wrong "valid", and nothing moved
(`vigie lock` refuses and leaves the lock byte for byte as it was).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.optin.cli_runs import TODAY, base_copy, run, site

LOCK = "netplan.lock.yml"
LOCK_HEAD = "sites:\n  college: {slot: 0, cameras: {couloir: 1, portail: 2}}\n"
AUTH = (
    "authorisations:\n"
    "  - {id: AP-X, holder: X, issued: %s, expires: 2030-01-01, retention_days: %s}\n"
)

# (files written over the base inventory, file and line expected, rule expected)
CASES = {
    # values the YAML parser refuses after scanning
    "impossible date": ({"x.yml": AUTH % ("2025-02-30", 15)}, "x.yml", 2, "YAML-VALUE"),
    "impossible time": (
        {"x.yml": "authorisations:\n  - issued: 2025-01-01t25:00:00\n"},
        "x.yml",
        2,
        "YAML-VALUE",
    ),
    "int tag on text": ({"x.yml": "sites:\n  - id: !!int abc\n"}, "x.yml", 2, "YAML-VALUE"),
    "float tag on text": ({"x.yml": "a:\n  b: !!float nope\n"}, "x.yml", 2, "YAML-VALUE"),
    "bool tag on text": ({"x.yml": "a: !!bool maybe\n"}, "x.yml", 1, "YAML-VALUE"),
    "binary tag": ({"x.yml": "a: 1\nb: !!binary '%%%'\n"}, "x.yml", 2, "YAML-VALUE"),
    "set tag": ({"x.yml": "a: !!set {b}\n"}, "x.yml", 1, "YAML-VALUE"),
    "python tag": (
        {"x.yml": "a: !!python/object/apply:os.system [id]\n"},
        "x.yml",
        1,
        "YAML-VALUE",
    ),
    "map tag on a list": ({"x.yml": "a: !!map [1, 2]\n"}, "x.yml", 1, "YAML-VALUE"),
    # the lock file, read with the checks data files get
    "lock duplicate key": (
        {LOCK: LOCK_HEAD + "  dc: {slot: 1, cameras: {}}\n  dc: {slot: 2, cameras: {}}\n"},
        LOCK,
        4,
        "YAML-DUPLICATE-KEY",
    ),
    "lock is a list": ({LOCK: "- college\n- dc\n"}, LOCK, 1, "NET-LOCK"),
    "lock sites is a list": ({LOCK: "sites:\n  - college\n"}, LOCK, 1, "NET-LOCK"),
    "lock slot is text": ({LOCK: LOCK_HEAD + "  dc: {slot: one}\n"}, LOCK, 3, "NET-LOCK"),
    "lock slot is a boolean": ({LOCK: LOCK_HEAD + "  dc: {slot: yes}\n"}, LOCK, 3, "NET-LOCK"),
    "lock slot negative": ({LOCK: LOCK_HEAD + "  dc: {slot: -1}\n"}, LOCK, 3, "NET-LOCK"),
    "lock cameras a list": (
        {LOCK: LOCK_HEAD + "  dc: {slot: 1, cameras: [a, b]}\n"},
        LOCK,
        3,
        "NET-LOCK",
    ),
    "lock camera number zero": (
        {LOCK: "sites:\n  college: {slot: 0, cameras: {couloir: 0, portail: 2}}\n"},
        LOCK,
        2,
        "NET-LOCK",
    ),
    "lock unknown key": ({LOCK: LOCK_HEAD + "extra: 1\n"}, LOCK, 3, "NET-LOCK"),
    # (reported where the anchored value is: the composer forgets where the alias was)
    "lock alias": ({LOCK: "sites:\n  college: &a {slot: 0}\n  dc: *a\n"}, LOCK, 2, "YAML-ALIAS"),
    "lock impossible date": ({LOCK: "sites:\n  college: 2025-02-30\n"}, LOCK, 2, "YAML-VALUE"),
    # generated host names that collide
    "camera named like a recorder": (
        {"sites/case.yml": site("case", "{id: rec1, area: hall}")},
        "sites/case.yml",
        11,
        "REF-HOST-NAME",
    ),
    "camera named like a detector host": (
        {"sites/case.yml": site("case", "{id: det1, area: hall}")},
        "sites/case.yml",
        11,
        "REF-HOST-NAME",
    ),
    "camera named like the gateway": (
        {"sites/case.yml": site("case", "{id: gw, area: hall}")},
        "sites/case.yml",
        11,
        "REF-HOST-NAME",
    ),
    "camera named like another site's camera, across files": (
        {
            "sites/case.yml": site("case", "{id: b-cam, area: hall}"),
            "sites/other.yml": site("case-b", "{id: cam, area: hall}"),
        },
        "sites/other.yml",
        11,
        "REF-HOST-NAME",
    ),
    "camera named like another site's gateway": (
        {
            "sites/case.yml": site("case", "{id: b-gw, area: hall}"),
            "sites/other.yml": site("case-b", "{id: cam, area: hall}"),
        },
        "sites/case.yml",
        11,
        "REF-HOST-NAME",
    ),
    # booleans, text and blanks where numbers or references are expected
    "yes as days": ({"x.yml": AUTH % ("2025-01-01", "yes")}, "x.yml", 2, "SCHEMA-TYPE"),
    "quoted number as days": ({"x.yml": AUTH % ("2025-01-01", '"15"')}, "x.yml", 2, "SCHEMA-TYPE"),
    "number as a date": ({"x.yml": AUTH % ("1735689600", 15)}, "x.yml", 2, "SCHEMA-TYPE"),
    "boolean fps": (
        {"sites/case.yml": site("case", "{id: cam, area: hall, fps: true}")},
        "sites/case.yml",
        11,
        "SCHEMA-TYPE",
    ),
    "number as a boolean": (
        {"sites/case.yml": site("case", "{id: cam, area: hall, films_public_road: 1}")},
        "sites/case.yml",
        11,
        "SCHEMA-TYPE",
    ),
    "text as a boolean": (
        {"sites/case.yml": site("case", '{id: cam, area: hall, sees_homes: "no"}')},
        "sites/case.yml",
        11,
        "SCHEMA-TYPE",
    ),
    "blank decision reference": (
        {
            "sites/case.yml": site("case", "{id: cam, area: hall}").replace(
                "    cameras:\n", '    transmissions: [{agency: pn, decision: " "}]\n    cameras:\n'
            )
        },
        "sites/case.yml",
        10,
        "SCHEMA-TYPE",
    ),
    "blank authorisation reference": (
        {"sites/case.yml": site("case", "{id: cam}").replace("AP-TEST", '" "')},
        "sites/case.yml",
        6,
        "SCHEMA-TYPE",
    ),
    "empty holder": (
        {
            "x.yml": 'authorisations:\n  - {id: AP-X, holder: "", issued: 2025-01-01,'
            " expires: 2030-01-01, retention_days: 15}\n"
        },
        "x.yml",
        2,
        "SCHEMA-TYPE",
    ),
    "boolean purpose": (
        {"sites/case.yml": site("case", "{id: cam, area: hall, purposes: [yes]}")},
        "sites/case.yml",
        11,
        "SCHEMA-TYPE",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_is_a_located_error(name: str, tmp_path: Path):
    files, rel, line, rule = CASES[name]
    root = base_copy(tmp_path / "inv", files)
    code, out, err = run("validate", str(root), "--today", TODAY.isoformat())
    expected = f"{root}/{rel}:{line}: {rule}: "
    assert code == 1, out + err
    assert expected in out, f"want {expected}\n got:\n{out}{err}"
    assert "Traceback" not in out + err


@pytest.mark.parametrize("name", ["lock slot is text", "lock duplicate key", "impossible date"])
def test_vigie_lock_moves_nothing_on_hostile_input(name: str, tmp_path: Path):
    files, _rel, _line, _rule = CASES[name]
    root = base_copy(tmp_path / "inv", files)
    before = (root / LOCK).read_bytes()
    code, _out, _err = run("lock", str(root), "--today", TODAY.isoformat())
    assert code == 1
    assert (root / LOCK).read_bytes() == before


def test_valid_base_passes(tmp_path: Path):
    # The control: the same base without the hostile file is valid.
    root = base_copy(tmp_path / "inv")
    code, out, err = run("validate", str(root), "--today", TODAY.isoformat())
    assert code == 0, out + err


def test_lock_that_is_a_directory_is_refused(tmp_path: Path):
    root = base_copy(tmp_path / "inv")
    (root / LOCK).unlink()
    (root / LOCK).mkdir()
    code, out, _err = run("validate", str(root))
    assert code == 1
    assert f"{root}/{LOCK}:1: YAML-UNREADABLE: " in out


@pytest.mark.parametrize("where", [LOCK, "sites/fifo.yml"])
def test_fifo_never_blocks(where: str, tmp_path: Path):
    # A real process with a deadline: a blocking read would hit the timeout.
    root = base_copy(tmp_path / "inv")
    if (root / where).exists():
        (root / where).unlink()
    os.mkfifo(root / where)
    done = subprocess.run(
        [sys.executable, "-m", "vigie.cli", "validate", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if where == LOCK:
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{root}/{LOCK}:1: YAML-UNREADABLE: " in done.stdout
    else:  # a FIFO among data files is not a data file: skipped, the rest is valid
        assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", ""],
        ["lock", ""],
        ["summary", ""],
        ["plan", ""],
        ["review", "", "--base", "main"],
        ["commune", "new", "--insee", "78003", "--dir", " "],
        ["generate", "", "--cameras", "3"],
    ],
)
def test_empty_path_is_a_usage_error(argv: list[str]):
    code, _out, err = run(*argv)
    assert code == 2
    assert "empty path" in err


@pytest.mark.parametrize("kind", ["file", "directory", "lock"])
def test_symbolic_links_are_refused_not_followed(kind: str, tmp_path: Path):
    # A pull request may add links; following them would read files outside the
    # inventory on the runner. The target here is valid data: only the link is wrong.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yml").write_text("agencies: []\n")
    root = base_copy(tmp_path / "inv")
    if kind == "file":
        (root / "sites" / "linked.yml").symlink_to(outside / "x.yml")
        where = "sites/linked.yml"
    elif kind == "directory":
        (root / "linked").symlink_to(outside)
        where = "linked"
    else:
        (outside / LOCK).write_bytes((root / LOCK).read_bytes())
        (root / LOCK).unlink()
        (root / LOCK).symlink_to(outside / LOCK)
        where = LOCK
    code, out, err = run("validate", str(root))
    assert code == 1, out + err
    assert f"{root}/{where}:1: YAML-UNREADABLE: is a symbolic link" in out


def test_size_caps(tmp_path: Path):
    from vigie.yamlsrc import MAX_FILE_BYTES, MAX_TOTAL_BYTES

    # one file just over the per-file cap
    root = base_copy(tmp_path / "one", {"big.yml": "# " + "x" * MAX_FILE_BYTES + "\n"})
    code, out, _err = run("validate", str(root))
    assert code == 1 and f"{root}/big.yml:1: YAML-TOO-LARGE: " in out
    # many files each under it, together over the inventory's cap: refused before parsing
    chunk = "# " + "x" * (MAX_FILE_BYTES - 16) + "\n"
    files = {f"big{i}.yml": chunk for i in range(MAX_TOTAL_BYTES // MAX_FILE_BYTES + 1)}
    root = base_copy(tmp_path / "many", files)
    code, out, _err = run("validate", str(root))
    assert code == 1 and f"{root}:1: YAML-TOO-LARGE: the data files hold " in out


@pytest.mark.parametrize("where", ["sites", "agencies", "extra"])
def test_deep_nesting_is_an_error_not_a_traceback(where: str, tmp_path: Path):
    # 999 levels: under libyaml's own limit, far over Python's recursion limit.
    root = base_copy(tmp_path / "inv", {"deep.yml": f"{where}: " + "[" * 999 + "]" * 999 + "\n"})
    code, out, err = run("validate", str(root))
    assert code == 1
    assert f"{root}/deep.yml:1: SCHEMA-" in out
    assert "Traceback" not in out + err
