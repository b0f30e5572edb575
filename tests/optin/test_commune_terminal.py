"""`vigie commune new` in a terminal: the questions asked with rich prompts.

A real pseudo-terminal (pty) stands for the technician's terminal: the command
sees a TTY, asks, and reads the answers typed in it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from optin_support import PRODUCTION, commune_new_in_a_terminal

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
