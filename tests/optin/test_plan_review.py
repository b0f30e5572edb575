"""The opt-in path on a real git repository: scaffold, plan, review rules.

Each test copies the production inventory into a fresh git repository
(branch `main`), makes the change on a branch as a commune would, and runs the
real commands against `main`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.optin.cli_runs import PRODUCTION, REPO, TODAY, run

FLAGS = [
    "--authorisation", "AP-78-2026-0001", "--issued", "2025-12-01", "--expires", "2030-11-30",
    "--retention-days", "15", "--force", "gendarmerie", "--police-municipale", "epci",
    "--uplink", "pop-rambouillet", "--camera", "parvis:street:road", "--camera", "cour:yard",
]  # fmt: skip


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(PRODUCTION, root / "inventories" / "production")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "optin/change")
    return root


def inv(repo: Path) -> str:
    return str(repo / "inventories" / "production")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_scaffold_then_plan_a_new_commune(repo: Path):
    code, out, err = run("commune", "new", "--insee", "78003", "--dir", inv(repo), *FLAGS,
                         "--today", TODAY.isoformat())  # fmt: skip
    assert code == 0, out + err
    written = repo / "inventories/production/communes/78003-ablis.yml"
    text = written.read_text(encoding="utf-8")
    # every key line carries a comment or sits in a commented flow mapping
    keys = [line for line in text.splitlines() if re.match(r"\s*(- )?[a-z_\"0-9]+:", line)]
    assert keys and all("#" in line for line in keys if not line.strip().startswith("- {")), text
    assert 'epci: "200073344"' in text  # CA Rambouillet Territoires, from the reference data
    assert "mairie-ablis:" in (repo / "inventories/production/netplan.lock.yml").read_text()
    assert run("validate", inv(repo), "--today", TODAY.isoformat())[0] == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Ablis opts in")
    svg = repo / "fibre.svg"
    code, plan, err = run("plan", inv(repo), "--base", "main", "--picture", str(svg),
                          "--today", TODAY.isoformat())  # fmt: skip
    assert code == 0, plan + err
    added = "- **ajouté** `mairie-ablis` Mairie de Ablis (bâtiment communal, `commune_building`"
    assert added + ", INSEE 78003)" in plan
    assert "*(provisoire jusqu'à la fusion)*" in plan
    assert "- **ajoutée** `mairie-ablis-parvis` 10.128." in plan
    assert "(LEGAL-RETENTION-MAX" in plan and "✓ finalités" in plan
    assert "`pm-ca-rambouillet-territoires`), décision AP-78-2026-0001" in plan
    assert "| seg-dc-rambouillet | 1,000 Mbit/s | 0 → 4 Mbit/s" in plan
    assert "](fibre.svg)" in plan
    # from vigie.access_policy: nobody sees a camera without a detector on a detector event
    clip = "voir l'enregistrement autour de l'événement"
    assert f"`mairie-ablis-cour` : intrusion (détecteur) (`intrusion`, {clip}) : personne" in plan
    assert "réquisition judiciaire (`requisition`, exporter l'enregistrement) : " in plan
    tree = ET.parse(svg)  # well-formed SVG with one stroke per segment and side
    lines = tree.getroot().findall("{http://www.w3.org/2000/svg}line")
    segments = (repo / "inventories/production/fibre.yml").read_text().count("ends:")
    assert segments and len(lines) == 2 * segments  # before and after, per segment
    assert {x.get("stroke") for x in lines} <= {"#2ca02c", "#ff7f0e", "#d62728", "#bbbbbb"}
    code, out, err = run("review", inv(repo), "--base", "main", "--commune", "78003")
    assert code == 0, out + err


@pytest.mark.parametrize(
    ("insee", "extra", "code", "says"),
    [
        ("75056", [], 1, "is not a commune of the département"),  # Paris
        ("78380", [], 1, "already opted in"),  # Maule
        ("78003", ["--authorisation", ""], 2, "missing answer"),
        ("78003", ["--expires", "2025-12-31"], 1, "LEGAL-AUTHORISATION-VALID"),
    ],
)
def test_scaffold_refusals_move_nothing(repo: Path, insee: str, extra: list, code: int, says: str):
    argv = ["commune", "new", "--insee", insee, "--dir", inv(repo), *FLAGS, *extra]
    got, out, err = run(*argv, "--today", TODAY.isoformat())
    assert got == code, out + err
    assert says in out + err
    assert git(repo, "status", "--porcelain") == ""  # nothing written, the lock untouched


def test_plan_lists_a_changed_setting_of_an_existing_camera(repo: Path):
    edit(
        repo / "inventories/production/communes/78380-maule.yml",
        "{id: mairie-entree, area: entrance}",
        "{id: mairie-entree, area: entrance, retention_days: 10}",
    )
    code, plan, err = run("plan", inv(repo), "--base", "main", "--today", TODAY.isoformat())
    assert code == 0, plan + err
    assert "- **modifiée** `mairie-maule-mairie-entree` : retention_days: 15 → 10" in plan
    assert "Aucune caméra ajoutée" not in plan
    assert "`mairie-maule-mairie-entree`\n  - ✓ conservation 10 j" in plan


def review(repo: Path, *extra: str) -> tuple[int, str]:
    git(repo, "commit", "-qam", "change")
    code, out, err = run("review", inv(repo), "--base", "main", *extra)
    return code, out + err


def test_review_refuses_another_communes_file(repo: Path):
    edit(repo / "inventories/production/communes/78380-maule.yml", "Mairie de Maule", "Mairie")
    code, out = review(repo, "--commune", "78586")
    assert code == 1
    assert "78380-maule.yml:1: OPTIN-FOREIGN-FILE: the pull request of commune 78586" in out
    # the same change from Maule itself is fine
    assert run("review", inv(repo), "--base", "main", "--commune", "78380")[0] == 0


def test_review_refuses_a_shared_file_from_a_commune(repo: Path):
    edit(repo / "inventories/production/fibre.yml", "capacity_mbps: 1000", "capacity_mbps: 1001")
    code, out = review(repo, "--commune", "78380")
    assert code == 1 and "fibre.yml:1: OPTIN-FOREIGN-FILE" in out


def test_review_refuses_a_moved_allocation(repo: Path):
    lock = repo / "inventories/production/netplan.lock.yml"
    edit(lock, "mairie-maule:\n    slot: 7", "mairie-maule:\n    slot: 40")
    code, out = review(repo)
    assert code == 1
    assert re.search(r"netplan.lock.yml:\d+: OPTIN-ALLOCATION-MOVED: site `mairie-maule`", out)
    code, plan, _ = run("plan", inv(repo), "--base", "main")
    assert code == 1 and "**Refusé**" in plan and "lock slot 7 → 40" in plan


def test_review_refuses_a_reused_slot(repo: Path):
    lock = repo / "inventories/production/netplan.lock.yml"
    edit(lock, "mairie-maule:\n    slot: 7", "mairie-maule:\n    slot: 8")
    edit(lock, "mairie-sartrouville:\n    slot: 8", "mairie-sartrouville:\n    slot: 7")
    code, out = review(repo)
    assert code == 1 and "OPTIN-LOCK-REUSE: site `mairie-maule`: lock slot 8 belongs to" in out


def test_review_refuses_removing_a_site_within_retention(repo: Path):
    (repo / "inventories/production/communes/78380-maule.yml").unlink()
    git(repo, "add", "-A")
    code, out = review(repo)
    assert code == 1
    assert "OPTIN-SITE-RETENTION: site mairie-maule is removed with 3 camera(s)" in out
    code, plan, _err = run("plan", inv(repo), "--base", "main")
    assert code == 1 and "**REFUSÉE**" in plan
    assert "- **retiré** `mairie-maule` (3 caméras)" in plan and "**refusé**" in plan


def test_review_annotates_changed_lines_for_github(repo: Path):
    edit(
        repo / "inventories/production/communes/78380-maule.yml",
        "{id: mairie-entree, area: entrance}",
        "{id: mairie-entree, area: entrance, retention_days: 45}",
    )
    code, out = review(repo, "--format", "github")
    assert code == 1
    line = next(n for n, t in enumerate(
        (repo / "inventories/production/communes/78380-maule.yml").read_text().splitlines(), 1
    ) if "retention_days: 45" in t)  # fmt: skip
    assert f"78380-maule.yml,line={line},title=LEGAL-RETENTION-MAX::" in out


def test_review_refuses_removing_a_site_that_lost_its_cameras_recently(repo: Path):
    # On main, Maule's cameras were removed today: footage may still be kept 30 days.
    maule = repo / "inventories/production/communes/78380-maule.yml"
    text = maule.read_text()
    maule.write_text(text[: text.index("    cameras:")] + "    cameras: []\n")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-qam", "Maule: cameras removed")
    git(repo, "checkout", "-qb", "optin/remove-site")
    maule.unlink()
    git(repo, "add", "-A")
    code, out = review(repo)
    assert code == 1
    assert "OPTIN-SITE-RETENTION: site mairie-maule last changed on " in out


def test_plan_of_an_invalid_network_is_a_plan_not_a_traceback(repo: Path):
    # Found by fuzzing: a supernet that is not a network used to crash the plan.
    edit(repo / "inventories/production/departement.yml", "supernet: 10.", "supernet: yes 10.")
    code, plan, err = run("plan", inv(repo), "--base", "main")
    assert code == 1, plan + err
    assert "**REFUSÉE**" in plan and "NET-PREFIX" in plan
    assert "département `supernet`" in plan  # the moved allocation is still reported


# --- whose change it is, when the branch does not say (not named optin/<insee>-...) ----

MAULE = "inventories/production/communes/78380-maule.yml"
SARTROUVILLE = "inventories/production/communes/78586-sartrouville.yml"


def test_review_without_a_commune_refuses_editing_two_communes_files(repo: Path):
    git(repo, "checkout", "-qb", "fix-typos")  # a branch name says nothing about its author
    edit(repo / MAULE, "Mairie de Maule", "Mairie")
    edit(repo / SARTROUVILLE, "name: ", "name: La ")
    code, out = review(repo)
    assert code == 1, out
    for rel in (MAULE, SARTROUVILLE):
        assert f"{rel}:1: OPTIN-FOREIGN-FILE: the change edits the files of " in out
    assert "of communes 78380, 78586:" in out and "--commune INSEE" in out


def test_review_without_a_commune_refuses_a_communes_file_with_shared_files(repo: Path):
    edit(repo / MAULE, "Mairie de Maule", "Mairie")
    edit(repo / "inventories/production/fibre.yml", "capacity_mbps: 1000", "capacity_mbps: 1001")
    code, out = review(repo)
    assert code == 1 and f"{MAULE}:1: OPTIN-FOREIGN-FILE" in out
    assert "of commune 78380 and shared files:" in out


def test_review_without_a_commune_takes_the_communes_own_file_as_its_change(repo: Path):
    edit(repo / MAULE, "Mairie de Maule", "Mairie")
    assert review(repo)[0] == 0
    # ... and then holds it to a commune's rules: no other commune's competent force
    with (repo / MAULE).open("a", encoding="utf-8") as maule:
        maule.write('\ncompetent_force:\n  "78005": police\n')
    code, out = review(repo)
    assert code == 1 and "the competent force of commune 78005 is declared in commune 78380" in out


def test_a_departement_change_to_shared_files_needs_no_commune(repo: Path):
    edit(repo / "inventories/production/fibre.yml", "capacity_mbps: 1000", "capacity_mbps: 1001")
    assert review(repo)[0] == 0


def test_the_competent_force_goes_where_docs_inventory_md_says_and_the_review_accepts(
    repo: Path,
):
    doc = (REPO / "docs" / "inventory.md").read_text(encoding="utf-8")
    step = doc[doc.index("## Opting in a commune") :].split("\n4. ", 1)[1].split("\n\n", 1)[0]
    assert "in this file" in step and "agencies.yml" not in step, step
    code, out, err = run("commune", "new", "--insee", "78003", "--dir", inv(repo), *FLAGS,
                         "--today", TODAY.isoformat())  # fmt: skip
    assert code == 0, out + err
    own = repo / "inventories/production/communes/78003-ablis.yml"
    assert "competent_force:  # who polices Ablis" in own.read_text(encoding="utf-8")
    git(repo, "add", "-A")
    code, out = review(repo, "--commune", "78003")
    assert code == 0, out
    # The same line in agencies.yml instead is a shared file: refused.
    text = own.read_text(encoding="utf-8")
    start = text.index("competent_force:")
    line = text[start:].split("\n", 2)[1]
    own.write_text(text[:start] + text[start:].split("\n", 2)[2], encoding="utf-8")
    edit(
        repo / "inventories/production/agencies.yml",
        "competent_force:\n",
        f"competent_force:\n{line}\n",
    )
    code, out = review(repo, "--commune", "78003")
    assert code == 1 and "agencies.yml:1: OPTIN-FOREIGN-FILE" in out, out
