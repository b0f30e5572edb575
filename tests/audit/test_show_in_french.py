"""`vigie audit show` for the DPO and auditors: a header naming the columns, French
words, dates in Paris time with the zone said; `--format json` is the journal's own
lines, unchanged."""

from __future__ import annotations

import datetime as dt
import json

from vigie.audit.journal import ENTRIES, Journal
from vigie.audit.note import Signer
from vigie.cli import main


def journal(tmp_path):
    signer = Signer.generate("vigie-journal-78")
    at = dt.datetime(2026, 12, 7, 13, 3, 20, tzinfo=dt.UTC).timestamp()
    with Journal(tmp_path / "j", signer) as j:
        for i, decision in enumerate(("allow", "deny")):
            j.append(
                {
                    "action": "view_clip",
                    "decision": decision,
                    "actor": {"agency": "ggd78", "operator": "ggd78/op-0007"},
                    "camera": "col-houdan/portail",
                    "rule": "ACCESS-FORCE-COMPETENT" if i == 0 else "ACCESS-NOT-COMPETENT",
                    "time": at + 3600 * i,
                }
            )
    return tmp_path / "j"


def test_show_has_a_header_french_words_and_readable_dates(tmp_path, capsys):
    path = journal(tmp_path)
    assert main(["audit", "show", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# Journal d'audit") and out[1].startswith("# décision")
    assert "date (heure de Paris, Europe/Paris)" in out[2] and "décision" in out[2]
    first, second = out[3:]
    assert "7 décembre 2026 à 14:03:20 (heure de Paris)" in first and "autorisé" in first
    assert "7 décembre 2026 à 15:03:20 (heure de Paris)" in second and "refusé" in second
    assert "ACCESS-FORCE-COMPETENT" in first  # the stable rule id stays
    assert "1796" not in first  # no POSIX time


def test_show_json_is_the_journal_unchanged(tmp_path, capsys):
    path = journal(tmp_path)
    assert main(["audit", "show", str(path), "--format", "json", "--decision", "deny"]) == 0
    out = capsys.readouterr().out
    kept = [line for line in (path / ENTRIES).read_text().splitlines(keepends=True)]
    assert out == kept[1]
    assert json.loads(out)["time"] == json.loads(kept[1])["time"]
