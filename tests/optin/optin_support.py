"""Shared helpers of the opt-in tests: a base inventory copy and the CLI in-process."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
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
