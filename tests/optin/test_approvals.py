"""Approvals: every commune that has opted in has its owner line on both forges,
and the request templates carry the préfecture authorisation checklist."""

from __future__ import annotations

import fnmatch
import re

import pytest

from tests.optin.cli_runs import REPO

GITHUB = REPO / ".github" / "CODEOWNERS"
GITLAB = REPO / ".gitlab" / "CODEOWNERS"
COMMUNE_FILES = sorted(REPO.glob("inventories/*/communes/*.yml"))


def owners(codeowners: str, path: str) -> list[str]:
    """Owners of `path` by GitHub's rule: the last matching line wins."""
    found: list[str] = []
    for line in codeowners.splitlines():
        parts = line.split()
        if not parts or line.startswith(("#", "[")):
            continue
        pattern = parts[0].lstrip("/")
        if pattern == "*" or fnmatch.fnmatch(path, pattern) or path.startswith(pattern):
            found = parts[1:]
    return found


@pytest.mark.parametrize("path", COMMUNE_FILES, ids=lambda p: p.name)
def test_a_communes_file_needs_the_commune_and_the_departement(path):
    rel = path.relative_to(REPO).as_posix()
    insee = path.name[:5]
    assert owners(GITHUB.read_text(), rel) == [
        f"@cd78/commune-{insee}",
        "@cd78/dsi-videoprotection",
    ]
    gitlab = GITLAB.read_text()
    assert re.search(
        rf"^/inventories/\*/communes/{insee}-\*\.yml @cd78/commune-{insee}$", gitlab, re.M
    )
    assert "[Département][1] @cd78/dsi-videoprotection\n/inventories/\n" in gitlab


@pytest.mark.parametrize("shared", ["fibre.yml", "netplan.lock.yml", "departement.yml"])
def test_shared_files_are_the_departements(shared):
    assert "@cd78/dsi-videoprotection" in owners(
        GITHUB.read_text(), f"inventories/production/{shared}"
    )
    assert not any(
        o.startswith("@cd78/commune-")
        for o in owners(GITHUB.read_text(), f"inventories/production/{shared}")
    )


@pytest.mark.parametrize(
    "template",
    [".github/pull_request_template.md", ".gitlab/merge_request_templates/Default.md"],
)
def test_templates_carry_the_authorisation_checklist(template):
    text = (REPO / template).read_text()
    for article in ("L252-1", "L252-4", "L252-5", "L251-2", "L251-3", "L253-5"):
        assert article in text
    assert text.count("- [ ]") >= 10
