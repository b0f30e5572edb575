"""The journal's retention: monthly journals, the old ones deleted and the deletion journaled."""

from __future__ import annotations

import datetime as dt
import json

from vigie.audit.journal import ENTRIES
from vigie.audit.note import Signer
from vigie.audit.retention import JournalSet
from vigie.audit.verify import verify


class Clock:
    def __init__(self, when: dt.datetime):
        self.when = when

    def __call__(self) -> float:
        return self.when.timestamp()


def test_old_months_are_deleted_and_the_deletion_journaled(tmp_path):
    key = Signer.generate("vigie-journal-78")
    clock = Clock(dt.datetime(2023, 1, 15, tzinfo=dt.UTC))
    journals = JournalSet(tmp_path, key, retention_days=1095, clock=clock)
    for month in range(1, 5):
        clock.when = dt.datetime(2023, month, 10, tzinfo=dt.UTC)
        for i in range(5):
            journals.append({"action": "segment_allowed", "decision": "allow", "n": i})
    assert journals.months() == ["2023-01", "2023-02", "2023-03", "2023-04"]
    assert journals.enforce() == []  # nothing is 3 years old yet
    clock.when = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)  # Jan and Feb 2023 ended > 1095 days ago
    deleted = journals.enforce()
    journals.close()
    assert deleted == ["2023-01", "2023-02"]
    assert journals.months() == ["2023-03", "2023-04", "2026-03"]
    purges = [json.loads(x) for x in (tmp_path / "2026-03" / ENTRIES).read_text().splitlines()]
    # Entry 0 of a month is its opening (the previous month's head); then the purges.
    purges = [p for p in purges if p["action"] == "retention_purge"]
    assert [p["journal"] for p in purges] == ["2023-01", "2023-02"]
    assert purges[0]["size"] == 6 and len(purges[0]["root"]) == 64
    for month in journals.months():
        assert verify(tmp_path / month, key.verifier).ok
