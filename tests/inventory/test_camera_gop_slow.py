"""CAMERA-GOP-SLOW: a camera declaring key frames more than 2 s apart is
warned about (its live view starts late and lags); masked cameras are
re-encoded with 1-s key frames by the recorder, so they are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inventory.inventories import TODAY, overlay
from vigie.desired import DesiredState
from vigie.loader import check_inventory

SITE = """\
sites:
  - id: case
    name: Case site
    kind: departmental_building
    insee: "78646"
    authorisation: AP-TEST
    uplink: pop-a
    recorders: [{{id: 1, disk_gb: 2000}}]
    cameras:
      - {{id: cam, area: entrance{extra}}}
"""
MASKED = (
    ", films_public_road: true, sees_homes: true, privacy_masks: [[[0, 0], [0.5, 0], [0.5, 0.5]]]"
)


def check(tmp_path: Path, extra: str):
    layer = tmp_path / "layer"
    (layer / "sites").mkdir(parents=True)
    (layer / "sites" / "case.yml").write_text(SITE.format(extra=extra), encoding="utf-8")
    return check_inventory(overlay(tmp_path / "inv", layer), today=TODAY)


def gop_findings(diags):
    return [d for d in diags if d.rule == "CAMERA-GOP-SLOW"]


@pytest.mark.parametrize(("declared", "warned"), [("0.5", False), ("2", False), ("2.5", True)])
def test_warns_above_two_seconds(tmp_path, declared, warned):
    inv, diags = check(tmp_path, f", keyframe_seconds: {declared}")
    assert inv is not None
    found = gop_findings(diags)
    assert bool(found) == warned, [d.format() for d in diags]
    assert all(d.severity == "warning" and d.line == 10 for d in found)
    if warned:
        assert f"every {declared} s" in found[0].message


def test_default_is_one_second_and_reaches_the_recorder(tmp_path):
    inv, diags = check(tmp_path, "")
    assert inv is not None and gop_findings(diags) == []
    cam = next(c for c in inv.sites["case"].cameras if c.id == "cam")
    assert cam.keyframe_seconds == 1.0
    recorder = next(h for h in DesiredState.build(inv).hosts.values() if h.kind == "recorder")
    cameras = {c["id"]: c for c in recorder.vars["recorder__cameras"]}
    assert cameras["case-cam"]["keyframe_seconds"] == 1.0


def test_a_masked_camera_is_not_warned(tmp_path):
    # The recorder re-encodes it with a key frame every live segment.
    inv, diags = check(tmp_path, f", keyframe_seconds: 5{MASKED}")
    assert inv is not None and gop_findings(diags) == []


@pytest.mark.parametrize("declared", ["0.4", "11", "true", '"1"'])
def test_out_of_range_or_not_a_number_is_refused(tmp_path, declared):
    inv, diags = check(tmp_path, f", keyframe_seconds: {declared}")
    assert inv is None or any(
        d.rule.startswith("SCHEMA") and d.severity == "error" for d in diags
    ), [d.format() for d in diags]
