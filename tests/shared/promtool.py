"""Alert rules evaluated by Prometheus' own promtool (Debian package prometheus)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def check_and_test_rules(rules: Path, cases: str, folder: Path) -> None:
    """`promtool check rules` on the file, then `promtool test rules` on the cases
    (a promtool unit-test file naming it in `rule_files`)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is required: scripts/apt-packages.txt"
    path = folder / "cases.yml"
    path.write_text(cases)
    check = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
