"""`vigie commune new` in a terminal: the questions asked with rich prompts.

A real pseudo-terminal (pty) stands for the technician's terminal: the command
sees a TTY, asks, and reads the answers typed in it.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

from optin_support import PRODUCTION

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
    main, secondary = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "vigie.cli", "commune", "new", "--insee", "78005",
         "--dir", str(root)],
        stdin=secondary, stdout=secondary, stderr=secondary, env={**os.environ, "TERM": "dumb"},
    )  # fmt: skip
    os.close(secondary)
    transcript = b""
    for answer in ANSWERS:  # answer each question once it is on the screen
        deadline = time.monotonic() + 60
        seen = len(transcript)
        while b":" not in transcript[seen:] and time.monotonic() < deadline:
            transcript += os.read(main, 4096)
        os.write(main, answer.encode() + b"\n")
    try:
        while chunk := os.read(main, 4096):
            transcript += chunk
    except OSError:  # the child closed the terminal
        pass
    assert child.wait(timeout=60) == 0, transcript.decode(errors="replace")
    text = transcript.decode(errors="replace")
    assert "Préfecture authorisation reference" in text and "Police municipale" in text
    written = (root / "communes" / "78005-acheres.yml").read_text()
    assert "- id: mairie-acheres" in written and 'commune: "78005"' in written
    assert "{id: parvis, area: street, films_public_road: true}" in written
    assert "{id: hall, area: hall}" in written
    assert "mairie-acheres:" in (root / "netplan.lock.yml").read_text()
