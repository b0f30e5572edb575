"""Every rule, one by one: a valid data file passes, an invalid one fails at the marked line.

Each `cases/<RULE-ID>/{valid,invalid}/` folder is laid over a copy of
`data/base/`. In the invalid files, `# <-- RULE-ID` marks the line the
diagnostic must point at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.inventory.inventories import CASES, TODAY, overlay
from vigie.loader import check_inventory
from vigie.rules import REGISTRY

MARK = re.compile(r"# <-- ([A-Z][A-Z-]+)")
PARSE_RULES = {
    "YAML-SYNTAX",
    "YAML-DUPLICATE-KEY",
    "YAML-ALIAS",
    "YAML-EMPTY",
    "SCHEMA-UNKNOWN-KEY",
    "SCHEMA-MISSING",
    "SCHEMA-TYPE",
    "REF-DUPLICATE-ID",
}
ALL_CASES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def expected_marks(layer: Path, root: Path) -> set[tuple[str, int, str]]:
    marks = set()
    for file in layer.rglob("*.yml"):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            for rule in MARK.findall(line):
                marks.add((f"{root}/{file.relative_to(layer).as_posix()}", number, rule))
    return marks


def test_every_rule_has_cases():
    assert set(REGISTRY) | PARSE_RULES <= set(ALL_CASES), "every rule needs a case folder"


@pytest.mark.parametrize("rule", ALL_CASES)
def test_valid_case_passes(rule: str, tmp_path: Path):
    root = overlay(tmp_path / "inv", CASES / rule / "valid")
    inv, diags = check_inventory(root, today=TODAY)
    errors = [d.format() for d in diags if d.severity == "error"]
    assert inv is not None and errors == []
    assert rule not in {d.rule for d in diags}


@pytest.mark.parametrize("rule", ALL_CASES)
def test_invalid_case_fails_at_the_marked_line(rule: str, tmp_path: Path):
    layer = CASES / rule / "invalid"
    root = overlay(tmp_path / "inv", layer)
    _inv, diags = check_inventory(root, today=TODAY)
    found = {(d.path, d.line, d.rule) for d in diags}
    marks = expected_marks(layer, root)
    assert marks, f"case {rule} has no `# <-- {rule}` marker"
    assert marks <= found, f"expected {sorted(marks)}, got:\n" + "\n".join(
        d.format() for d in diags
    )
    severity = REGISTRY[rule].severity if rule in REGISTRY else "error"
    assert {d.severity for d in diags if d.rule == rule} == {severity}
