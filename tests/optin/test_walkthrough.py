"""docs/opt-in.md, followed to the letter on a copy of the repository.

Every line starting with `$ ` in a ```console block is run, in order, in a
fresh git repository holding a copy of this repository's tracked files (as a
clone has them), with the project's `vigie` on PATH. Each command must succeed.
Then the outcome is checked: the commune's file, the lock, the plan, the review.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.optin.cli_runs import REPO

DOC = REPO / "docs" / "opt-in.md"


def commands(doc: str) -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", doc, flags=re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def copy_of_repository(target: Path) -> Path:
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = REPO / name.decode()
        if source.is_file():  # tracked but deleted in this working tree: skipped
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    return target


def test_the_walkthrough_works(tmp_path: Path):
    steps = commands(DOC.read_text(encoding="utf-8"))
    assert len(steps) >= 8 and any(s.startswith("vigie commune new") for s in steps)
    repo = copy_of_repository(tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB", "GITLAB", "CI"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        VIGIE_PYTHON=sys.executable,
        GIT_AUTHOR_NAME="Mairie d'Ablis",
        GIT_AUTHOR_EMAIL="dsi@ablis.example.org",
        GIT_COMMITTER_NAME="Mairie d'Ablis",
        GIT_COMMITTER_EMAIL="dsi@ablis.example.org",
    )
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, env=env)
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "the repository"], check=True, env=env)
    outputs = {}
    for step in steps:
        done = subprocess.run(
            step if "=" in step.split()[0] else shlex.split(step),
            shell="=" in step.split()[0],  # `VAR=value command`: through the shell
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"$ {step}\n{done.stdout}\n{done.stderr}"
        outputs[step] = done.stdout
    commune = repo / "inventories/production/communes/78003-ablis.yml"
    assert "mairie-ablis" in commune.read_text()
    assert "mairie-ablis:" in (repo / "inventories/production/netplan.lock.yml").read_text()
    plan = next(out for step, out in outputs.items() if step.startswith("vigie plan"))
    assert "- **ajoutée** `mairie-ablis-parvis`" in plan and "](fibre.svg)" in plan
    assert (repo / "fibre.svg").read_text().startswith("<svg")
    review = next(out for step, out in outputs.items() if "review.sh" in step)
    assert "commune=78003" in review and "review: passed" in review
    summary = next(out for step, out in outputs.items() if step.startswith("vigie summary"))
    assert "mairie-ablis" in summary
