"""scripts/review.sh on a real git repository with a real opt-in branch.

The repository has a bare `origin` and a clone, as a forge's runner sees it.
The forge's environment is set as GitHub Actions and GitLab CI set it, and the
plan is posted over HTTP to a local server standing for the forge's API (the
script's real curl call, the real JSON body).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest

from tests.optin.cli_runs import PRODUCTION, REPO

SCRIPT = REPO / "scripts" / "review.sh"
FLAGS = [
    "--authorisation", "AP-78-2026-0001", "--issued", "2025-12-01", "--expires", "2030-11-30",
    "--retention-days", "15", "--force", "gendarmerie", "--police-municipale", "commune",
    "--uplink", "pop-rambouillet", "--camera", "parvis:street:road",
]  # fmt: skip


def sh(cwd: Path, *args: str, env: dict | None = None, check: bool = True):
    return subprocess.run(
        list(args), cwd=cwd, env=env, check=check, capture_output=True, text=True, timeout=120
    )


def git(cwd: Path, *args: str) -> str:
    who = ["-c", "user.name=Commune", "-c", "user.email=dsi@example.org"]
    return sh(cwd, "git", *who, *args).stdout


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    seed = tmp_path / "seed"
    shutil.copytree(PRODUCTION, seed / "inventories" / "production")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "the département's inventory")
    git(tmp_path, "clone", "-q", "--bare", str(seed), "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "work")
    work = tmp_path / "work"
    git(work, "checkout", "-qb", "optin/78003-ablis")
    return work


def vigie_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB", "GITLAB", "CI"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # the venv's vigie
    env.update(VIGIE_REVIEW_MAKE="0", VIGIE_PYTHON=sys.executable, **extra)
    return env


class Forge(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):  # the name the stdlib calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Forge.received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def forge():
    Forge.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Forge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", Forge.received
    server.shutdown()


def opt_in(work: Path) -> None:
    sh(work, sys.executable, "-m", "vigie.cli", "commune", "new", "--insee", "78003",
       "--dir", "inventories/production", *FLAGS)  # fmt: skip
    git(work, "add", "-A")
    git(work, "commit", "-qm", "Ablis opts in")


def test_github_pull_request_of_a_new_commune(clone: Path, tmp_path: Path, forge):
    opt_in(clone)
    url, received = forge
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    summary = tmp_path / "summary.md"
    env = vigie_env(
        tmp_path,
        GITHUB_ACTIONS="true",
        GITHUB_BASE_REF="main",
        GITHUB_HEAD_REF="optin/78003-ablis",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_REPOSITORY="cd78/vigie",
        GITHUB_API_URL=url,
        GITHUB_TOKEN="test-token",
    )
    done = sh(clone, "bash", str(SCRIPT), env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "commune=78003" in done.stdout
    assert "review: make targets: test-inventory" in done.stdout
    assert "- **ajouté** `mairie-ablis`" in summary.read_text()
    assert (clone / "review-out" / "fibre.svg").read_text().startswith("<svg")
    [(path, headers, body)] = received
    assert path == "/repos/cd78/vigie/issues/7/comments"
    assert headers["Authorization"] == "Bearer test-token"
    assert body["body"].startswith("## vigie plan")


def test_gitlab_merge_request_editing_another_commune(clone: Path, tmp_path: Path, forge):
    opt_in(clone)
    maule = clone / "inventories/production/communes/78380-maule.yml"
    entree = "{id: mairie-entree, area: entrance"
    maule.write_text(maule.read_text().replace(entree, entree + ", retention_days: 45"))
    git(clone, "commit", "-qam", "and Maule's retention, while we are at it")
    url, received = forge
    env = vigie_env(
        tmp_path,
        GITLAB_CI="true",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="optin/78003-ablis",
        CI_MERGE_REQUEST_IID="3",
        CI_PROJECT_ID="42",
        CI_API_V4_URL=url + "/api/v4",
        CI_JOB_URL="https://gitlab.example.org/cd78/vigie/-/jobs/99",
        VIGIE_GITLAB_TOKEN="test-token",
    )
    done = sh(clone, "bash", str(SCRIPT), env=env, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "review: FAILED" in done.stdout
    report = json.loads((clone / "review-out" / "gl-code-quality-report.json").read_text())
    checks = {(e["check_name"], e["location"]["path"]) for e in report}
    maule_rel = "inventories/production/communes/78380-maule.yml"
    assert ("OPTIN-FOREIGN-FILE", maule_rel) in checks
    assert ("LEGAL-RETENTION-MAX", maule_rel) in checks
    assert all(e["severity"] in ("major", "minor") and e["fingerprint"] for e in report)
    [(path, headers, body)] = received  # the plan is posted for a refused change too
    assert path == "/api/v4/projects/42/merge_requests/3/notes"
    assert headers["PRIVATE-TOKEN"] == "test-token"
    assert "**REFUSÉE**" in body["body"]
    assert (
        "](https://gitlab.example.org/cd78/vigie/-/jobs/99/artifacts/file/review-out/fibre.svg)"
        in body["body"]
    )


def test_local_run_lists_targets_for_code_changes(clone: Path, tmp_path: Path):
    (clone / "src" / "vigie").mkdir(parents=True)
    (clone / "src" / "vigie" / "x.py").write_text("")
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", "code")
    done = sh(clone, "bash", str(SCRIPT), env=vigie_env(tmp_path), check=False)
    assert "review: make targets: test-inventory test-optin" in done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
