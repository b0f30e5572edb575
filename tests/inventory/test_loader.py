"""The YAML loader and the model: lines, hostile input, defaults, the API of CONTRACT.md."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.inventory.inventories import BASE, TODAY
from vigie.errors import InventoryError
from vigie.loader import check_inventory, load_inventory
from vigie.yamlsrc import YamlProblem, load_yaml_text


def billion_laughs(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_quickly():
    start = time.perf_counter()
    with pytest.raises(YamlProblem) as caught:
        load_yaml_text(billion_laughs(), "bomb.yml")
    assert caught.value.diagnostic.rule == "YAML-ALIAS"
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "---\n", "~\n"])
def test_empty_documents_are_rejected(text: str):
    with pytest.raises(YamlProblem) as caught:
        load_yaml_text(text, "empty.yml")
    assert caught.value.diagnostic.rule == "YAML-EMPTY"


def test_duplicate_key_reports_both_lines():
    _data, problems = load_yaml_text("a: 1\nb: 2\na: 3\n", "dup.yml")
    assert [(p.line, p.rule) for p in problems] == [(3, "YAML-DUPLICATE-KEY")]
    assert "first on line 1" in problems[0].message


def test_merge_keys_are_rejected():
    with pytest.raises(YamlProblem) as caught:
        load_yaml_text("base: &b {x: 1}\nother:\n  <<: *b\n", "merge.yml")
    assert caught.value.diagnostic.rule == "YAML-ALIAS"


def test_syntax_error_points_at_its_line():
    with pytest.raises(YamlProblem) as caught:
        load_yaml_text("a: 1\nb: [1, 2\nc: 3\n", "bad.yml")
    assert caught.value.diagnostic.rule == "YAML-SYNTAX"
    assert caught.value.diagnostic.line in (2, 3, 4)


def test_non_utf8_file_is_a_diagnostic_not_a_traceback(tmp_path: Path, base_copy: Path):
    (base_copy / "sites" / "latin1.yml").write_bytes("sites: []\n# caméra\n".encode("latin-1"))
    inv, diags = check_inventory(base_copy, today=TODAY)
    assert inv is None
    assert [d.rule for d in diags] == ["YAML-SYNTAX"]


def test_a_defaulted_value_is_reported_where_the_default_is_written(base_copy: Path):
    dept = base_copy / "departement.yml"
    text = dept.read_text().replace("retention_days: 15", "retention_days: 45")
    dept.write_text(text)
    college = base_copy / "sites" / "college.yml"
    college.write_text(
        college.read_text().replace("    camera_defaults: {retention_days: 7}\n", "")
    )
    line = text.splitlines().index("      retention_days: 45") + 1
    _inv, diags = check_inventory(base_copy, today=TODAY)
    hits = [d for d in diags if d.rule == "LEGAL-RETENTION-MAX"]
    assert len(hits) == 2  # one per camera, both pointing at the default they inherit
    assert all(d.path.endswith("departement.yml") and d.line == line for d in hits)


def test_errors_of_all_files_are_reported_together(base_copy: Path):
    (base_copy / "sites" / "one.yml").write_text("sites:\n  - id: one\n    nme: x\n")
    (base_copy / "sites" / "two.yml").write_text("sites: [\n")
    _inv, diags = check_inventory(base_copy, today=TODAY)
    files = {Path(d.path).name for d in diags}
    assert {"one.yml", "two.yml"} <= files


def test_unknown_key_suggests_the_right_one(base_copy: Path):
    site = base_copy / "sites" / "college.yml"
    site.write_text(site.read_text().replace("opening_hours:", "opening_hour:"))
    _inv, diags = check_inventory(base_copy, today=TODAY)
    (diag,) = [d for d in diags if d.rule == "SCHEMA-UNKNOWN-KEY"]
    assert diag.line == 8 and "opening_hours" in diag.hint


def test_load_inventory_api_of_the_contract():
    inv = load_inventory(BASE, today=TODAY)
    assert list(inv.sites) == sorted(inv.sites)
    cameras = list(inv.cameras())
    assert {c.site_id for c in cameras} == {"college"}
    site = inv.sites["college"]
    assert site.gateway == "college-gw"
    assert [r.id for r in site.recorders] == [1] and [d.id for d in site.detector_hosts] == [1]
    portail = next(c for c in cameras if c.id == "portail")
    assert portail.detection.classes == ["intrusion", "tamper"]
    assert portail.retention_days == 7  # site default beats the département default
    assert portail.bitrate_kbps == 2048  # département default


def test_load_inventory_raises_with_every_diagnostic(base_copy: Path):
    site = base_copy / "sites" / "college.yml"
    site.write_text(site.read_text().replace("{retention_days: 7}", "{retention_days: 40}"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(base_copy, today=TODAY)
    rules = {d.rule for d in caught.value.errors}
    assert {"LEGAL-RETENTION-MAX", "LEGAL-RETENTION-AUTHORISATION", "STORAGE-DISK"} <= rules
    assert all(str(base_copy) in d.path for d in caught.value.errors)


def test_absurd_nesting_is_rejected_quickly():
    start = time.perf_counter()
    with pytest.raises(YamlProblem) as caught:
        load_yaml_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "deep.yml")
    assert caught.value.diagnostic.rule == "YAML-SYNTAX"
    assert time.perf_counter() - start < 0.5
