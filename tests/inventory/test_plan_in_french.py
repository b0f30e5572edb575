"""The plan a mayor reads is French throughout: its findings, its site lines, its
sources; `vigie rules` describes every rule in French. (`vigie validate` and
`vigie review`, the technicians' commands, keep their English messages.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.inventory.test_plan_deploy import ABLIS, git, vigie
from vigie import labels
from vigie.access_policy.decision_rules import DECISION_RULES
from vigie.loader import check_inventory
from vigie.review import RULES as OPTIN_RULES
from vigie.rules import REGISTRY

REPO = Path(__file__).resolve().parents[2]
# Words of the English glosses the rules and their sources carry.
ENGLISH = re.compile(r"\b(the|only|every|annex|holder|designates|per|never|must)\b")


def test_every_rule_of_every_family_has_french_words():
    families = [REGISTRY, DECISION_RULES, OPTIN_RULES, labels.FILE_RULES]
    missing = [rule for family in families for rule in family if not labels.rule_fr(rule)]
    assert not missing
    sources = {r.source for r in [*REGISTRY.values(), *DECISION_RULES.values()]}
    english = {s: labels.source_fr(s) for s in sources if ENGLISH.search(labels.source_fr(s))}
    assert not english


def test_rules_describes_each_rule_in_french():
    done = subprocess.run([str(Path(sys.executable).parent / "vigie"), "rules"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    for rule in REGISTRY.values():
        assert rule.summary not in done.stdout, rule.id
        assert labels.rule_fr(rule.id) in done.stdout, rule.id
    assert " error " not in done.stdout and " permit " not in done.stdout


def test_the_plan_of_a_refused_change_is_french(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    rel = "inventories/production"
    (repo / "inventories").mkdir(parents=True)
    subprocess.run(["cp", "-r", str(REPO / rel), str(repo / rel)], check=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    monkeypatch.chdir(repo)
    assert vigie(*ABLIS, "--dir", rel)[0] == 0
    ablis = repo / rel / "communes" / "78003-ablis.yml"
    text = ablis.read_text(encoding="utf-8")
    assert "{id: cour, area: yard" in text
    ablis.write_text(text.replace("area: yard", "area: yard, retention_days: 40", 1))
    _inv, diags = check_inventory(Path(rel), today=None)
    found = [d for d in diags if d.rule == "LEGAL-RETENTION-MAX"]
    assert found, [d.format() for d in diags]
    code, plan = vigie("plan", rel, "--base", "main", "--today", "2026-01-15")
    assert code == 1 and "**REFUSÉE**" in plan
    assert "La demande est refusée : rien n'est déployé tant qu'elle l'est." in plan
    said = labels.rule_fr("LEGAL-RETENTION-MAX")
    assert f"**erreur**, règle non respectée : {said} (LEGAL-RETENTION-MAX)" in plan
    # the inventory's words beside their French: areas, purposes, transmission modes
    assert re.search(r"\*\*ajoutée\*\* `mairie-ablis-parvis` .*, zone rue \(`street`\)", plan)
    assert "prévention des atteintes aux personnes et aux biens (`crime_prevention`)" in plan
    assert ", sur événement, périmètre" in plan and "on_event" not in plan
    for d in diags:
        assert d.message not in plan, d.message  # the English detail is validate's
    site = next(line for line in plan.splitlines() if "**ajouté** `mairie-ablis`" in line)
    assert "caméras 10." in site and "enregistreurs 10." in site and "cameras" not in site
    legend = plan.split("### Légende", 1)[1]
    table = [line for line in legend.splitlines() if line.startswith("| ") and "-" in line]
    assert table and not [line for line in table if ENGLISH.search(line)], table
