"""The `vigie` command as an operator and CI run it: exit codes, formats, plan, generate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.inventory.inventories import BASE, PILOT, committed_base

VIGIE = [sys.executable, "-m", "vigie.cli"]


def vigie(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*VIGIE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_validate_pilot_is_valid():
    result = vigie("validate", PILOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: 12 sites" in result.stderr


def test_validate_invalid_exits_1_with_path_line_rule(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    site = root / "sites" / "college.yml"
    site.write_text(site.read_text().replace("uplink: pop-a", "uplink: pop-zz"))
    result = vigie("validate", root)
    assert result.returncode == 1
    assert (
        f"{root}/sites/college.yml:7: REF-UPLINK: site college: unknown point of presence 'pop-zz'"
        in result.stdout
    )
    assert "Traceback" not in result.stderr


def test_validate_json_for_ci(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    (root / "sites" / "dup.yml").write_text("sites:\n  - id: x\n    id: y\n")
    result = vigie("validate", "--format", "json", root)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    expected = {"path": f"{root}/sites/dup.yml", "line": 3, "rule": "YAML-DUPLICATE-KEY"}
    assert any(expected.items() <= d.items() for d in report["diagnostics"]), report


def test_usage_errors_exit_2(tmp_path: Path):
    assert vigie("validate", tmp_path / "missing").returncode == 2
    assert vigie("validate").returncode == 2
    assert vigie("frobnicate").returncode == 2
    assert vigie("validate", "--today", "not-a-date", PILOT).returncode == 2


def test_generate_is_deterministic_and_valid(tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert vigie("generate", one, "--cameras", "600", "--seed", "7").returncode == 0
    assert vigie("generate", two, "--cameras", "600", "--seed", "7").returncode == 0
    files = sorted(p.relative_to(one) for p in one.rglob("*.yml"))
    assert files == sorted(p.relative_to(two) for p in two.rglob("*.yml"))
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    result = vigie("validate", one)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "600 cameras" in result.stderr and "260 sites" not in result.stderr
    assert len(list((one / "sites").glob("mairie-*.yml"))) == 259  # every commune


def test_summary_lists_sites_and_fibre():
    result = vigie("summary", PILOT)
    assert result.returncode == 0
    assert "col-rameau-versailles" in result.stdout and "seg-dc-versailles" in result.stdout


def test_plan_shows_what_a_commune_pull_request_does(tmp_path: Path):
    repo = committed_base(tmp_path)
    (repo / "inv" / "sites" / "mairie.yml").write_text("""\
sites:
  - id: mairie-versailles
    name: Hôtel de ville
    kind: commune_building
    insee: "78646"
    authorisation: AP-TEST
    uplink: pop-a
    recorded_at: dc
    cameras:
      - {id: parvis, area: street, films_public_road: true, sees_homes: true,
         privacy_masks: [[[0, 0], [0.4, 0], [0.4, 0.4]]]}
""")
    result = vigie("plan", "inv", "--base", "HEAD", cwd=repo)
    assert result.returncode == 0, result.stdout
    text = result.stdout
    assert "**ajouté** `mairie-versailles`" in text and "VLAN" in text
    assert "**ajoutée** `mairie-versailles-parvis`" in text
    assert "1 masque(s) de confidentialité" in text
    assert "| seg-a | 1,000 Mbit/s | 0 → 2 Mbit/s" in text
    assert "| dc-rec1 |" in text
    assert "`college`" not in text  # unchanged sites are not listed
    assert vigie("plan", "inv", "--base", "no-such-ref", cwd=repo).returncode == 2


def test_docs_list_every_rule():
    from tests.inventory.inventories import REPO
    from vigie.rules import REGISTRY

    doc = (REPO / "docs" / "inventory.md").read_text(encoding="utf-8")
    missing = [rule for rule in REGISTRY if f"`{rule}`" not in doc]
    assert missing == []


def test_rules_point_at_the_sources_carried_in_the_repository():
    import re

    from tests.inventory.inventories import REPO
    from vigie.rules import REGISTRY

    result = subprocess.run(
        [str(Path(sys.executable).parent / "vigie"), "rules"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "docs/sources.md" in result.stdout
    sources = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    for rule in REGISTRY.values():
        # Never a file outside the repository; every cited text is in docs/sources.md.
        assert not re.search(r"(BRIEF|LAB)\.md|\.\./shared", rule.source), rule.id
    for cited in ("CSI L252-5", "arrêté du 3 août 2007", "CNIL", "ANSSI", "2022-1152", "APSAD I31"):
        assert cited in sources
