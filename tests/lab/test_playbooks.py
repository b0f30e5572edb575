"""The playbooks' own logic: the summary of sites done."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def test_a_failing_site_leaves_the_others_done_and_the_run_says_so():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"),
         "-i", str(DATA / "summary-inventory.yml"), str(DATA / "summary-run.yml")],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )  # fmt: skip
    assert proc.returncode != 0
    assert "done: site-a; not done: site-b" in proc.stdout
    assert "sites not done: site-b (hosts site-b-gw)" in proc.stdout
    # site-b's recorder went on to the end after its gateway failed.
    assert re.search(r"site-b-rec1\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", proc.stdout)
    assert re.search(r"site-b-gw\s+: .* failed=1", proc.stdout)
