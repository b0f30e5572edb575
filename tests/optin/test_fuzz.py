"""Mutation fuzzing of the test and production inventories: never an exception, whatever the value.

Each case replaces values of one to three lines of one file (data or lock) with
tokens a hostile or careless contributor might write (booleans, blanks, tags,
huge numbers, impossible dates, collections, anchors), then loads, checks and
plans. Any exception is a bug: the answer must be diagnostics. Seeds are fixed
(same cases every run; production seed 6 found a crash of the plan on a missing
recorder's disk); the bugs this found are fixed and tested.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import pytest

from tests.optin.cli_runs import BASE, PRODUCTION, TODAY
from vigie.loader import check_inventory
from vigie.plan import allocation_changes, render_plan

TOKENS = [
    "yes", "no", "~", "null", '" "', "''", "-1", "0", "1e9", "2025-02-29", "2025-02-30",
    "!!str 1", "!!int x", "!!binary x", "[]", "{}", "[1, 2]", "{a: 1}", "true",
    "99999999999999999999", "0x1F", ".inf", ".nan", "'x'", "é", "78646", "-", "&a x", "*a",
    "[[[[[[]]]]]]", "2025-01-01 10:00:00", "1:2:3", "'10.0.0.0/8'", "\"a\\u0000b\"",
]  # fmt: skip


def mutate(text: str, rnd: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rnd.randint(1, 3)):
        j = rnd.randrange(len(lines))
        line = lines[j]
        colons = [m for m, c in enumerate(line) if c == ":"]
        if colons and rnd.random() < 0.8:
            k = rnd.choice(colons)
            rest = line[k + 1 :]
            ends = [x for x in (rest.find(","), rest.find("}")) if x >= 0]
            line = line[: k + 1] + " " + rnd.choice(TOKENS) + rest[min(ends or [len(rest)]) :]
        else:
            line = line + " " + rnd.choice(TOKENS)
        lines[j] = line
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("source", "seed"), [(BASE, 0), (BASE, 1), (BASE, 2), (PRODUCTION, 6), (PRODUCTION, 7)]
)
def test_mutated_inventories_get_diagnostics_never_exceptions(
    source: Path, seed: int, tmp_path: Path
):
    rnd = random.Random(seed)
    files = sorted(p.relative_to(source) for p in source.rglob("*.yml") if p.name != "vigie.yml")
    base_inv, base_diags = check_inventory(source, today=TODAY)
    assert base_inv is not None and not [d for d in base_diags if d.severity == "error"]
    invalid = 0
    for case in range(150):
        root = tmp_path / f"c{case}"
        shutil.copytree(source, root)
        target = root / rnd.choice(files)
        target.write_text(mutate(target.read_text(encoding="utf-8"), rnd), encoding="utf-8")
        inv, diags = check_inventory(root, today=TODAY)
        assert all(d.path and d.line >= 0 and d.rule for d in diags)
        invalid += any(d.severity == "error" for d in diags)
        if inv is not None:
            render_plan(base_inv, inv, diags)
            render_plan(inv, base_inv, [])
            allocation_changes(base_inv, inv)
    assert invalid > 50  # the mutations do reach the checks (most cases are invalid)


def test_dates_are_checked_against_a_fixed_day():
    assert dt.date(2026, 1, 15) == TODAY
