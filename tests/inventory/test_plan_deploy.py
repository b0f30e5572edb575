"""`vigie plan` names the hosts and groups a change touches, `central` included, and the
exact command; that command, given to the real `ansible-playbook --list-hosts`, runs
on exactly the hosts the plan names. docs/opt-in.md quotes the same command."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vigie.cli import main

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ABLIS = [
    "commune", "new", "--insee", "78003", "--authorisation", "AP-78-2026-0001",
    "--issued", "2025-12-01", "--expires", "2030-11-30", "--retention-days", "15",
    "--force", "gendarmerie", "--police-municipale", "epci", "--uplink", "pop-rambouillet",
    "--camera", "parvis:street:road", "--camera", "cour:yard", "--today", "2026-01-15",
]  # fmt: skip


def vigie(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, out.getvalue()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
                   cwd=cwd, check=True, capture_output=True)  # fmt: skip


def opted_in(tmp_path: Path, inventory: str, monkeypatch) -> str:
    """A repository whose `main` holds `inventory`, Ablis opting in on a branch: the plan."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "inventories" / inventory, repo / "inventories" / inventory)
    # What the commands run: the playbooks, and the Pulumi project with its stacks.
    used = ["playbooks", "plugins", "roles", "ansible.cfg", "Pulumi.yaml"]
    for name in [*used, *(p.name for p in REPO.glob("Pulumi.*.yaml"))]:
        (repo / name).symlink_to(REPO / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "optin/78003-ablis")
    monkeypatch.chdir(repo)
    rel = f"inventories/{inventory}"
    assert vigie(*ABLIS, "--dir", rel)[0] == 0
    code, plan = vigie("plan", rel, "--base", "main", "--today", "2026-01-15")
    assert code == 0, plan
    return plan


def deploy_section(plan: str) -> tuple[dict[str, set[str]], str]:
    section = plan.split("### Déploiement après la fusion", 1)[1].split("\n### ", 1)[0]
    groups = {
        m.group(1): set(re.findall(r"`([\w.-]+)` \(", m.group(2)))
        for m in re.finditer(r"^- `(\w+)` : (.*)$", section, flags=re.M)
    }
    [command] = re.findall(r"^ansible-playbook .*$", section, flags=re.M)
    return groups, command


def listed_hosts(command: str, cwd: Path) -> set[str]:
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    env["ANSIBLE_CONFIG"] = "ansible.cfg"
    done = subprocess.run([*shlex.split(command), "--list-hosts"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Could not match supplied host pattern" not in done.stderr, done.stderr
    return set(re.findall(r"^ {6}(\S+)$", done.stdout, flags=re.M))


def test_a_new_commune_deploys_its_site_its_recorders_site_and_central(tmp_path, monkeypatch):
    plan = opted_in(tmp_path, "pilot", monkeypatch)
    groups, command = deploy_section(plan)
    assert set(groups) == {"site_mairie_ablis", "site_dc_guyancourt", "central"}, plan
    assert command == (
        "ansible-playbook -i inventories/pilot playbooks/site.yml "
        "--limit 'site_dc_guyancourt:site_mairie_ablis:central'"
    )
    assert "`mairie-ablis-gw` (ajouté)" in plan and "`vigie-central1` (modifié)" in plan
    assert "`dc-guyancourt-rec1` (modifié)" in plan  # it records the new cameras
    named = set().union(*groups.values())
    assert listed_hosts(command, Path.cwd()) == named


def test_the_opt_in_walkthrough_quotes_the_command_the_plan_gives(tmp_path, monkeypatch):
    _groups, command = deploy_section(opted_in(tmp_path, "production", monkeypatch))
    doc = (REPO / "docs" / "opt-in.md").read_text(encoding="utf-8")
    assert command in doc.splitlines(), command


@pytest.mark.parametrize("inventory", ["pilot"])
def test_no_change_deploys_nothing(tmp_path, monkeypatch, inventory):
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "inventories" / inventory, repo / "inventories" / inventory)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    monkeypatch.chdir(repo)
    code, plan = vigie("plan", f"inventories/{inventory}", "--base", "main")
    assert code == 0, plan
    assert "Aucun hôte à déployer" in plan and "ansible-playbook" not in plan


def test_a_detection_class_added_redeploys_central_and_the_detectors(tmp_path, monkeypatch):
    plan = opted_in(tmp_path, "pilot", monkeypatch)  # Ablis's cameras have no detector
    assert "pulumi up" not in plan
    git(Path.cwd(), "add", "-A")
    git(Path.cwd(), "commit", "-qm", "Ablis")
    quai = Path("inventories/pilot/sites/hdd-versailles.yml")
    text = quai.read_text(encoding="utf-8")
    old = "{id: quai, area: perimeter, detection: {classes: [intrusion]}}"
    assert old in text
    quai.write_text(text.replace(old, old.replace("[intrusion]", "[intrusion, tamper]")))
    code, plan = vigie("plan", "inventories/pilot", "--base", "HEAD", "--today", "2026-01-15")
    assert code == 0, plan
    groups, command = deploy_section(plan)
    # The access policy opens the camera on a tamper event now: the gateway's copy changes.
    assert set(groups) == {"central"} and command.endswith("--limit 'central'"), plan
    assert "```\npulumi up --stack pilot\n```" in plan
    assert listed_hosts(command, Path.cwd()) == groups["central"]
