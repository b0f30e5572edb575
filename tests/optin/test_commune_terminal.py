"""`vigie commune new` in a terminal: the questions asked with rich prompts.

A real pseudo-terminal (pty) stands for the technician's terminal: the command
sees a TTY, asks, and reads the answers typed in it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.optin.cli_runs import PRODUCTION, commune_new_in_a_terminal

ANSWERS = [
    "AP-78-2026-0042",  # authorisation
    "2025-12-01",  # issued
    "2030-11-30",  # expires
    "20",  # retention
    "police",  # competent force (Achères is not in competent_force yet)
    "commune",  # police municipale
    "",  # site id: the default, mairie-acheres
    "",  # site name: the default
    "pop-poissy",  # point of presence
    "",  # recorded at: the default, the datacenter
    "parvis:street:road",
    "hall:hall",
    "",  # no more cameras
]


def test_questions_in_a_terminal(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(PRODUCTION, root)
    code, text = commune_new_in_a_terminal(root, "78005", ANSWERS)
    assert code == 0, text
    assert "Préfecture authorisation reference" in text and "Police municipale" in text
    written = (root / "communes" / "78005-acheres.yml").read_text()
    assert "- id: mairie-acheres" in written and 'commune: "78005"' in written
    assert "{id: parvis, area: street, films_public_road: true}" in written
    assert "{id: hall, area: hall}" in written
    assert "mairie-acheres:" in (root / "netplan.lock.yml").read_text()


def test_an_answer_the_validation_refuses_is_asked_again_the_others_kept(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(PRODUCTION, root)
    answers = [*ANSWERS[:3], "40", *ANSWERS[4:], "15"]  # 40 days: above the law's 30
    code, text = commune_new_in_a_terminal(root, "78005", answers, "--today", "2026-01-15")
    assert code == 0, text
    assert "LEGAL-RETENTION-MAX" in text and "`retention_days: 40` (--retention-days)" in text
    assert "asked again; the other answers are kept" in text
    written = (root / "communes" / "78005-acheres.yml").read_text()
    assert "retention_days: 15" in written and "retention_days: 40" not in written
    assert "- id: AP-78-2026-0042" in written and "{id: hall, area: hall}" in written
