"""The opt-in tests' runs of `vigie`: in this process (`run`) or in a pseudo-terminal
(`commune_new_in_a_terminal`), on a copy of the small test inventory (`base_copy`, `site`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

from vigie.cli import main

HERE = Path(__file__).parent
REPO = HERE.parent.parent
BASE = REPO / "tests" / "inventory" / "data" / "base"
PRODUCTION = REPO / "inventories" / "production"
TODAY = dt.date(2026, 1, 15)


def base_copy(target: Path, files: dict[str, str] | None = None) -> Path:
    """The small test inventory at `target`, with extra or replaced files."""
    shutil.copytree(BASE, target)
    for rel, text in (files or {}).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    return target


def run(*argv: str) -> tuple[int, str, str]:
    """`vigie ARGV` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


SITE = """\
sites:
  - id: {id}
    name: Case site
    kind: departmental_building
    insee: "78646"
    authorisation: AP-TEST
    uplink: pop-a
    recorders: [{{id: 1, disk_gb: 2000}}]
    detector_hosts: [{{id: 1}}]
    cameras:
"""


def site(site_id: str, *camera_lines: str) -> str:
    return SITE.format(id=site_id) + "".join(f"      - {line}\n" for line in camera_lines)


def commune_new_in_a_terminal(root: Path, insee: str, answers: list[str], *extra: str):
    """`vigie commune new --insee INSEE` in a real pseudo-terminal (the technician's):
    each answer typed once its question is on the screen. (exit code, transcript)."""
    main_fd, secondary = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "vigie.cli", "commune", "new", "--insee", insee,
         "--dir", str(root), *extra],
        stdin=secondary, stdout=secondary, stderr=secondary, env={**os.environ, "TERM": "dumb"},
    )  # fmt: skip
    os.close(secondary)
    transcript = b""
    for answer in answers:  # answer each question once it is on the screen
        deadline = time.monotonic() + 60
        seen = len(transcript)
        while b":" not in transcript[seen:] and time.monotonic() < deadline:
            transcript += os.read(main_fd, 4096)
        os.write(main_fd, answer.encode() + b"\n")
    try:
        while chunk := os.read(main_fd, 4096):
            transcript += chunk
    except OSError:  # the child closed the terminal
        pass
    return child.wait(timeout=60), transcript.decode(errors="replace")
