"""The last play of every entry playbook reports the sites done, under any `--limit`.

Real `ansible-playbook` runs on local hosts (no SSH): one site's gateway fails,
the summary of playbooks/summary.yml must name the sites done and not done,
whether the run was limited to some sites or not. And the README's command
lists the report play's hosts on the pilot (`--list-hosts`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inventory.inventories import HERE, REPO

PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
DATA = HERE / "data" / "summary"


def playbook(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [str(PLAYBOOK), *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize(
    ("limit", "done", "not_done"),
    [
        ([], "site-a", "site-b"),
        (["--limit", "site_site_a:site_site_b"], "site-a", "site-b"),
        (["--limit", "site_site_b"], "none", "site-b"),
    ],
)
def test_the_report_names_the_sites_under_any_limit(limit: list, done: str, not_done: str):
    run = playbook("-i", str(DATA / "sites-inventory.yml"), str(DATA / "fail-site-b.yml"), *limit)
    assert f"done: {done}; not done: {not_done}" in run.stdout, run.stdout + run.stderr
    assert "sites not done: site-b (hosts site-b-gw)" in run.stdout
    assert run.returncode != 0


def test_a_limited_run_where_every_site_finishes_passes():
    run = playbook(
        "-i",
        str(DATA / "sites-inventory.yml"),
        str(DATA / "fail-site-b.yml"),
        "--limit",
        "site_site_a",
    )
    assert "done: site-a; not done: none" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 0


def test_the_readme_limit_lists_the_report_play_on_the_pilot():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [limit] = re.findall(r"`ansible-playbook playbooks/site.yml --limit (site_\w+)`", readme)
    run = playbook("playbooks/site.yml", "--limit", limit, "--list-hosts")
    assert run.returncode == 0, run.stderr
    report = run.stdout.split("Report the sites done and the sites not done", 1)[1]
    hosts = re.search(r"hosts \((\d+)\):", report)
    assert hosts and int(hosts[1]) > 0, run.stdout
    assert "col-houdan-gw" in report.split("play #", 1)[0]
