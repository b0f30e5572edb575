"""The witness's health as Prometheus metrics, for node exporter's textfile collector.

A witness that stops running, or that refuses the journal, must be seen by someone
other than its own journal: `vigie audit follow --metrics FILE` replaces FILE after
every run (written beside it, then renamed: a scrape never reads half a file), and
the alert rules shipped by roles/witness fire on it. The last success is carried
over from the previous file, so a failing witness still says since when it fails.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

from .follow import Followed

LAST_SUCCESS = "vigie_witness_last_success_timestamp_seconds"


def previous_success(path: Path) -> float:
    """The last success the previous file recorded; 0 when none (never, or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LAST_SUCCESS:
                    return float(sample.value)
    except (OSError, ValueError):
        pass
    return 0.0


def write(path: str | Path, *, now: float, outcome: str, done: list[Followed]) -> None:
    """outcome: "ok", "refused" (the journal is not an extension of the copy: tamper
    evidence) or "unreachable". Raises OSError when FILE cannot be replaced."""
    path = Path(path)
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    gauge("vigie_witness_last_run_timestamp_seconds", "When the witness last ran.").set(now)
    gauge("vigie_witness_up", "1 when the last run pulled and checked the journal.").set(
        outcome == "ok"
    )
    gauge(
        "vigie_witness_journal_refused",
        "1 when the last run found the journal rewritten, truncated or forked.",
    ).set(outcome == "refused")
    gauge(LAST_SUCCESS, "When a run last succeeded (0: never).").set(
        now if outcome == "ok" else previous_success(path)
    )
    held = gauge("vigie_witness_entries_held", "Entries of the journal in the copy.", ("journal",))
    for f in done:
        held.labels(f.journal or "journal").set(f.size)
    write_to_textfile(str(path), registry)
