"""Every role's README lists exactly its inputs: the variables of its
`meta/argument_specs.yml`, each row saying "required" exactly when the spec
requires it, and showing the value `defaults/main.yml` gives it (the spec's
`default`, when it has one, is that value too).

The variables table is the README's table whose header starts with
`| variable |`. A row may name several variables (`` `a__x` / `__y` ``,
`` `a__x`, `y` ``, `` `a__x` / `_strict` ``): a name starting with `__`, or with
no `<role>__` prefix, is the role's; one starting with a single `_` extends the
previous name. Their defaults are then separated the same way, in order. A
computed default (a template) or a non-empty structure is described in words,
not compared.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
# role -> why its README may not match yet; strict: the fix turns the test red
# until the entry goes.
KNOWN_GAPS: dict[str, str] = {}
TEMPLATE = re.compile(r"{{|{%")


def _roles(roles: Path = ROLES) -> list[str]:
    return sorted(p.parent.parent.name for p in roles.glob("*/meta/argument_specs.yml"))


def _options(role: str, roles: Path = ROLES) -> dict:
    data = yaml.safe_load((roles / role / "meta" / "argument_specs.yml").read_text("utf-8"))
    return data["argument_specs"]["main"]["options"]


def _defaults(role: str, roles: Path = ROLES) -> dict:
    path = roles / role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text("utf-8")) or {}) if path.exists() else {}


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(role: str, roles: Path = ROLES) -> list[list[str]]:
    """The rows (cells) of the README's variables table."""
    lines = (roles / role / "README.md").read_text("utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and _cells(line)[0] == "variable":
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(_cells(row))
            return rows
    raise AssertionError(f"roles/{role}/README.md has no `| variable |` table")


def _split(cell: str) -> list[str]:
    for sep in (" / ", ", "):
        if sep in cell:
            return [p.strip() for p in cell.split(sep)]
    return [cell.strip()]


def _names(role: str, cell: str) -> list[str]:
    """The variables a row names, shorthand expanded."""
    names: list[str] = []
    for part in _split(cell):
        name = part.strip("`")
        if name.startswith("__"):
            name = role + name
        elif name.startswith("_") and names:
            name = names[-1] + name
        elif not name.startswith(f"{role}__"):
            name = f"{role}__{name}"
        names.append(name)
    return names


def _rows(role: str, roles: Path = ROLES) -> list[tuple[list[str], list[str] | None]]:
    """(variables, their default cells, or None when not one per variable)."""
    out = []
    for cells in _table(role, roles):
        names = _names(role, cells[0])
        parts = _split(cells[1]) if len(names) > 1 else [cells[1]]
        out.append((names, parts if len(parts) == len(names) else None))
    return out


def _shown(value) -> str:
    """How a README shows a default of defaults/main.yml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if value == "":
        return '""'
    if isinstance(value, (list, dict)) and not value:
        return "[]" if isinstance(value, list) else "{}"
    return str(value)


def listing_gaps(role: str, roles: Path = ROLES) -> dict[str, list[str]]:
    listed = [n for names, _d in _rows(role, roles) for n in names]
    declared = set(_options(role, roles))
    return {
        "listed twice": sorted({n for n in listed if listed.count(n) > 1}),
        "missing from README": sorted(declared - set(listed)),
        "not in argument_specs": sorted(set(listed) - declared),
    }


def default_gaps(role: str, roles: Path = ROLES) -> list[str]:
    options, defaults = _options(role, roles), _defaults(role, roles)
    wrong = []
    for names, cells in _rows(role, roles):
        for i, name in enumerate(names):
            if name not in options:
                continue  # a listing gap
            cell = cells[i] if cells else None
            if options[name].get("required") is True:
                if cell is not None and "required" not in cell:
                    wrong.append(f"{name}: required, README shows {cell!r}")
                continue
            if cell is not None and "required" in cell:
                wrong.append(f"{name}: README says required, the spec does not")
            if name not in defaults:
                continue
            value = defaults[name]
            if "default" in options[name] and options[name]["default"] != value:
                wrong.append(f"{name}: spec default {options[name]['default']!r} != {value!r}")
            if cell is None or (isinstance(value, str) and TEMPLATE.search(value)):
                continue
            if isinstance(value, (list, dict)) and value:
                continue
            if _shown(value) not in cell:
                wrong.append(f"{name}: defaults/main.yml has {_shown(value)}, README {cell!r}")
    return wrong


CASES = [
    pytest.param(
        role,
        marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[role])]
        if role in KNOWN_GAPS
        else [],
    )
    for role in _roles()
]
NO_GAP = {"listed twice": [], "missing from README": [], "not in argument_specs": []}


@pytest.mark.parametrize("role", CASES)
def test_the_readme_lists_exactly_the_role_s_inputs(role):
    assert listing_gaps(role) == NO_GAP


@pytest.mark.parametrize("role", CASES)
def test_the_readme_shows_what_the_spec_requires_and_defaults_gives(role):
    assert default_gaps(role) == []


def test_every_role_is_checked():
    assert {"recorder", "detector_host", "broker", "witness"} <= set(_roles())


def test_shorthand_rows_are_read():
    assert _names("witness", "`witness__user` / `__venv`") == ["witness__user", "witness__venv"]
    assert _names("central_db", "`central_db__ttl` / `loop_wait`") == [
        "central_db__ttl",
        "central_db__loop_wait",
    ]
    assert _names("central_db", "`central_db__synchronous_mode` / `_strict`") == [
        "central_db__synchronous_mode",
        "central_db__synchronous_mode_strict",
    ]


def _mutated(tmp_path: Path, role: str, path: str, old: str, new: str) -> Path:
    roles = tmp_path / "roles"
    shutil.copytree(ROLES / role, roles / role, ignore=shutil.ignore_patterns("molecule"))
    target = roles / role / path
    text = target.read_text("utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), "utf-8")
    return roles


def test_a_variable_the_readme_forgot_is_reported(tmp_path):
    roles = _mutated(tmp_path, "broker", "README.md", "| `broker__bind` |", "| `broker__bound` |")
    assert listing_gaps("broker", roles) == {
        "listed twice": [],
        "missing from README": ["broker__bind"],
        "not in argument_specs": ["broker__bound"],
    }


def test_a_stale_default_and_a_lost_requirement_are_reported(tmp_path):
    roles = _mutated(
        tmp_path,
        "broker",
        "README.md",
        "| `broker__port` | required (the model",
        "| `broker__port` | 8883 (the model",
    )
    assert [g.split(",")[0] for g in default_gaps("broker", roles)] == ["broker__port: required"]
    roles = _mutated(
        tmp_path / "2",
        "broker",
        "defaults/main.yml",
        "broker__bind: 0.0.0.0",
        "broker__bind: 127.0.0.1",
    )
    assert default_gaps("broker", roles) == [
        "broker__bind: spec default '0.0.0.0' != '127.0.0.1'",
        "broker__bind: defaults/main.yml has 127.0.0.1, README '`0.0.0.0`'",
    ]
