"""`vigie access matrix` for the préfecture, the CNIL and the DPO: in French, agencies
by name beside their id, a legend of the columns and rule words with links to the
texts; the CSV (machine-readable) keeps its columns and values."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

from tests.access.pilot import PILOT, REPO
from vigie.loader import load_inventory


def vigie(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *map(str, args)], capture_output=True, text=True
    )


def test_the_matrix_reads_in_french_with_names_a_legend_and_links():
    inv = load_inventory(PILOT)
    r = vigie("access", "matrix", PILOT)
    assert r.returncode == 0, r.stderr
    md = r.stdout
    assert md.startswith("# Qui peut voir quoi : ")
    header = next(line for line in md.splitlines() if line.startswith("| caméra |"))
    assert "réquisition judiciaire" in header and "alarme incendie du bâtiment" in header
    assert "(owner)" not in md and "(force-competent)" not in md
    legend = md[md.index("## Légende") :]
    for agency in inv.agencies.values():  # every agency named, with its id
        assert f"| `{agency.id}` | {agency.name} |" in legend
    assert "Groupement de gendarmerie départementale des Yvelines (ggd78), force compétente" in md
    for rule in ("ACCESS-OWNER", "ACCESS-FORCE-COMPETENT", "ACCESS-REQUISITION-EXPORT"):
        assert f"| {rule} |" in legend
    sources = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    links = set(re.findall(r"docs/sources\.md#([a-z0-9-]+)", legend))
    assert {"csi", "cpp", "cc-2021-817-dc"} <= links
    assert all(f'<a id="{a}"></a>' in sources for a in links)


def test_the_csv_keeps_its_columns_and_values():
    rows = list(
        csv.DictReader(io.StringIO(vigie("access", "matrix", PILOT, "--format", "csv").stdout))
    )
    assert list(rows[0]) == ["camera", "event_class", "agency", "allowed", "rule"]
    assert {x["allowed"] for x in rows} == {"yes", "no"}
    assert {x["event_class"] for x in rows} >= {"intrusion", "requisition"}
