"""The documents mayors, lawyers and auditors read: the plan and `vigie rules` in
French, agencies named, a legend, and every cited rule linked to its texts in
docs/sources.md (which links each text to Légifrance, the CNIL, the Conseil
constitutionnel...)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

from tests.inventory.inventories import PILOT, REPO
from vigie import labels
from vigie.loader import load_inventory
from vigie.plan import render_plan

SOURCES = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
LINK = re.compile(r"docs/sources\.md#([a-z0-9-]+)")


def anchors_defined() -> set[str]:
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', SOURCES))


def test_every_linked_text_has_an_official_address_in_sources_md():
    defined = anchors_defined()
    assert {a for a, _ in labels.SOURCE_ANCHORS} <= defined
    rows = {a: line for line in SOURCES.splitlines() for a in defined if f'id="{a}"' in line}
    for anchor, line in rows.items():
        assert "https://" in line, anchor
    assert "https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000025503132/" in rows["csi"]
    for art in ("L251-1", "L255-1", "L252-3"):
        assert art in rows["csi"]
    cc = "https://www.conseil-constitutionnel.fr/decision/"
    assert f"{cc}2021/2021817DC.htm" in rows["cc-2021-817-dc"]
    assert f"{cc}2025/2025878DC.htm" in rows["cc-2025-878-dc"]
    assert "60-1" in rows["cpp"] and "77-1-1" in rows["cpp"]
    assert "3 août 2007" in rows["arrete-2007"] and "cnil.fr" in rows["cnil"]
    # Never a guessed article id: only the code's table of contents or a search.
    assert "LEGIARTI" not in SOURCES


def test_the_plan_is_in_french_names_agencies_and_links_each_rule_to_its_texts():
    inv = load_inventory(PILOT, today=dt.date(2026, 12, 7))
    text = render_plan(None, inv, [])
    for heading in ("### Sites", "### Caméras", "### Services destinataires",
                    "### Contrôle légal", "### Qui peut voir quoi", "### Légende"):  # fmt: skip
        assert heading in text, heading
    for english in ("**added**", "No camera", "retention ", "purposes:", "nobody", "(view_clip)"):
        assert english not in text, english
    # Agencies by name beside their id, wherever the plan names one.
    ggd = inv.agencies["ggd78"]
    assert f"{ggd.name} (ggd78)" in text or f"{ggd.name} (`ggd78`)" in text
    # The legend: each rule id the plan cites, with its source and a link that exists.
    legend = text[text.index("### Légende") :]
    cited = {r for r in re.findall(r"\(([A-Z]+-[A-Z0-9-]+)[,)]", text[: text.index("### Légende")])}
    assert cited and all(f"| {rule} |" in legend for rule in cited), cited
    links = set(LINK.findall(legend))
    assert {"csi", "cnil", "arrete-2007"} <= links and links <= anchors_defined()


def test_rules_lists_every_family_with_its_source_and_links():
    from vigie.access_policy.decision_rules import DECISION_RULES
    from vigie.review import RULES as OPTIN_RULES
    from vigie.rules import REGISTRY

    result = subprocess.run(
        [str(Path(sys.executable).parent / "vigie"), "rules"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line[:1].isupper()}
    families = [REGISTRY, DECISION_RULES, OPTIN_RULES, labels.FILE_RULES]
    for family in families:
        for rule in family:
            assert rule in lines, rule
            assert re.search(r"\[.+\]", lines[rule]), rule  # its source
    for rule in ("YAML-SYNTAX", "YAML-DUPLICATE-KEY", "ACCESS-WAY-DETECTOR", "ACCESS-OWNER"):
        assert rule in lines
    assert "docs/sources.md#cc-2025-878-dc" in lines["ACCESS-WAY-DETECTOR"]
    assert set(LINK.findall(result.stdout)) <= anchors_defined()


def test_dates_are_french_and_say_their_zone():
    winter = dt.datetime(2026, 12, 7, 13, 3, tzinfo=dt.UTC).timestamp()
    assert labels.datetime_fr(winter) == "7 décembre 2026 à 14:03:00 (heure de Paris)"
    summer = dt.datetime(2026, 8, 1, 10, 0, tzinfo=dt.UTC)
    assert labels.datetime_fr(summer) == "1er août 2026 à 12:00:00 (heure de Paris)"
    assert labels.datetime_fr(None) == "-" and labels.datetime_fr("later") == "later"


def test_every_access_decision_rule_has_french_words():
    from vigie.access_policy.decision_rules import DECISION_RULES

    assert set(labels.DECISION_RULES_FR) == set(DECISION_RULES)
    inv = load_inventory(PILOT, today=dt.date(2026, 12, 7))
    text = render_plan(None, inv, [])
    refusals = re.findall(r"personne : ([^;]+?) \((ACCESS-[A-Z-]+)\)", text)
    assert refusals
    for words, rule in refusals:
        assert words == labels.DECISION_RULES_FR[rule]
