"""Every school, not only the collèges: the living-area rule and the plan.

The CNIL's guidance on video-protection in schools covers every school: its
living areas (playground, canteen, classroom) are filmed only outside its
opening hours. A collège is a site of kind `college`; any other school (the
communes' écoles maternelles and élémentaires) is declared with `school: true`
on its cameras, or once in its site's `camera_defaults`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.inventory.inventories import TODAY, committed_base, overlay
from vigie.loader import check_inventory

RULE = "LEGAL-COLLEGE-LIVING-AREA"

ECOLE = """\
sites:
  - id: ecole-jules-ferry
    name: École élémentaire Jules Ferry
    kind: commune_building
    insee: "78646"
    authorisation: AP-TEST
    uplink: pop-a
    recorded_at: dc
{extra}    cameras:
      - {{id: portail, area: entrance}}
      - {camera}
"""


def check(tmp_path: Path, camera: str, extra: str = "") -> tuple[list, Path]:
    layer = tmp_path / "layer" / "sites"
    layer.mkdir(parents=True)
    (layer / "ecole.yml").write_text(ECOLE.format(camera=camera, extra=extra), encoding="utf-8")
    root = overlay(tmp_path / "inv", tmp_path / "layer")
    _inv, diags = check_inventory(root, today=TODAY)
    return diags, root / "sites" / "ecole.yml"


def errors(diags: list) -> list[tuple[str, int, str]]:
    return [(Path(d.path).name, d.line, d.rule) for d in diags if d.severity == "error"]


@pytest.mark.parametrize("area", ["playground", "canteen", "classroom"])
def test_a_school_living_area_recorded_always_is_refused(tmp_path: Path, area: str):
    diags, _ = check(tmp_path, f"{{id: cour, area: {area}, school: true}}")
    assert errors(diags) == [("ecole.yml", 11, RULE)]
    (found,) = [d for d in diags if d.rule == RULE]
    assert f"camera cour films a school {area} during opening hours" in found.message
    assert "outside_opening_hours" in found.hint


def test_a_whole_school_site_is_declared_once_in_its_camera_defaults(tmp_path: Path):
    extra = "    opening_hours: Mo,Tu,Th,Fr 08:20-16:30\n    camera_defaults: {school: true}\n"
    diags, _ = check(tmp_path, "{id: classe-cp, area: classroom}", extra)
    assert errors(diags) == [("ecole.yml", 13, RULE)]  # the camera's `area`


def test_a_school_recorded_outside_its_opening_hours_is_valid(tmp_path: Path):
    extra = "    opening_hours: Mo,Tu,Th,Fr 08:20-16:30\n"
    camera = "{id: cour, area: playground, school: true, recording: outside_opening_hours}"
    diags, _ = check(tmp_path, camera, extra)
    assert errors(diags) == []
    assert RULE not in {d.rule for d in diags}


def test_outside_opening_hours_needs_the_schools_opening_hours(tmp_path: Path):
    camera = "{id: cour, area: playground, school: true, recording: outside_opening_hours}"
    diags, _ = check(tmp_path, camera)
    assert errors(diags) == [("ecole.yml", 11, "SCHEDULE-OPENING-HOURS")]


def test_accesses_of_a_school_may_be_recorded_always(tmp_path: Path):
    diags, _ = check(tmp_path, "{id: hall, area: hall, school: true}")
    assert errors(diags) == []


def test_an_undeclared_playground_at_a_commune_building_is_flagged(tmp_path: Path):
    diags, _ = check(tmp_path, "{id: cour, area: playground}")
    assert errors(diags) == []  # a public playground may be filmed: a warning, not an error
    (found,) = [d for d in diags if d.rule == RULE]
    assert found.severity == "warning" and found.line == 11
    assert "school: true" in found.hint


def test_the_collèges_are_still_covered(tmp_path: Path):
    root = overlay(tmp_path / "inv")
    site = root / "sites" / "college.yml"
    site.write_text(
        site.read_text().replace("{id: couloir, area: corridor}", "{id: cour, area: playground}")
    )
    _inv, diags = check_inventory(root, today=TODAY)
    (found,) = [d for d in diags if d.rule == RULE]
    assert found.severity == "error" and "films a collège playground" in found.message


def test_the_plan_marks_the_school_camera(tmp_path: Path):
    repo = committed_base(tmp_path)
    (repo / "inv" / "sites" / "ecole.yml").write_text(
        ECOLE.format(camera="{id: cour, area: playground, school: true}", extra="")
    )
    result = subprocess.run(
        [sys.executable, "-m", "vigie.cli", "plan", "inv", "--base", "HEAD"],
        capture_output=True, text=True, cwd=repo, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"✗ zone playground, ne filme pas la voie publique ({RULE}" in result.stdout
    assert "✓ zone playground" not in result.stdout
