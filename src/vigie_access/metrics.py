"""Prometheus metrics: decisions, event-to-grant latency, and the false-alarm rate
per camera and class (the platform's promise of fewer false call-outs, measured)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Dead letters: every MQTT message the access service rejected (journaled as
# `event_rejected` and acknowledged), by reason. One counter for the process (the
# MQTT bus counts, the HTTP side exports), registered in every Metrics' registry.
EVENTS_REJECTED = Counter(
    "vigie_access_events_rejected",
    "MQTT messages rejected (journaled event_rejected, acknowledged), by reason",
    ["reason"],
    registry=None,
)
# Poison: messages that failed again and again (not for want of a journal), rejected as
# `unprocessable` and acknowledged so that they hold no in-flight slot for ever.
EVENTS_ABANDONED = Counter(
    "vigie_access_events_abandoned",
    "MQTT messages given up after repeated failures (journaled unprocessable, acknowledged)",
    ["error"],
    registry=None,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.decisions = Counter(
            "vigie_access_decisions", "auth_request decisions", ["decision"], registry=r
        )
        self.grant_latency = Histogram(
            "vigie_access_event_to_grant_seconds",
            "from the event's time to its grants stored and notified",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
            registry=r,
        )
        self.false_alarm_rate = Gauge(
            "vigie_access_false_alarm_ratio",
            "false alarms / levées de doute with an outcome",
            ["camera", "class"],
            registry=r,
        )
        self.outcomes = Gauge(
            "vigie_access_outcomes",
            "levées de doute with an outcome",
            ["camera", "class"],
            registry=r,
        )

        # The service's own share of an auth_request (its handler, queueing excluded):
        # what the p99 goal leaves to nginx, TLS and the host's scheduler is the rest.
        self.decision_time = Histogram(
            "vigie_access_decision_seconds",
            "time vigie-access spends deciding one auth_request (check and journal queueing)",
            buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1),
            registry=r,
        )
        # The journal fails closed: while it cannot write, every viewing is refused (503).
        self.journal_healthy = Gauge(
            "vigie_access_journal_healthy",
            "1 while the journal writes; 0 while it cannot (viewing refused, 503)",
            registry=r,
        )
        self.journal_healthy.set(1)
        self.journal_failures = Counter(
            "vigie_access_journal_write_failures",
            "failed attempts to write the journal (disk full, read-only, I/O error, "
            "an entry refused, backlog full)",
            registry=r,
        )
        self.journal_backlog = Gauge(
            "vigie_access_journal_backlog",
            "journal entries not yet on disk",
            registry=r,
        )
        self.events_rejected = EVENTS_REJECTED
        r.register(EVENTS_REJECTED)
        r.register(EVENTS_ABANDONED)
        self.unacknowledged = Gauge(
            "vigie_access_events_unacknowledged",
            "MQTT messages received, not yet acknowledged (their journal entries not on "
            "disk yet, or tried again)",
            registry=r,
        )
        # Resolved once: looking a label up costs more than counting (every decision).
        self._allow, self._deny = self.decisions.labels("allow"), self.decisions.labels("deny")
        self._unavailable = self.decisions.labels("unavailable")

    def watch_journal(self, journal) -> None:
        """Follow a `SharedJournal`: its health, its failed writes, its backlog."""
        self.journal_healthy.set(1 if journal.healthy else 0)
        self.journal_backlog.set_function(lambda: journal.backlog)

        def on_event(event: str, _reason: str) -> None:
            if event == "failed":
                self.journal_failures.inc()
            elif event in ("down", "up"):
                self.journal_healthy.set(1 if event == "up" else 0)

        journal.listen(on_event)

    def watch_bus(self, bus) -> None:
        self.unacknowledged.set_function(lambda: bus.unacknowledged)

    def decision(self, allow: bool, seconds: float, *, journaled: bool = True) -> None:
        """`journaled` false: allowed by the policy, refused for want of a journal."""
        (self._unavailable if not journaled else self._allow if allow else self._deny).inc()
        self.decision_time.observe(seconds)

    def set_rates(self, rows: list[dict]) -> None:
        for row in rows:
            self.false_alarm_rate.labels(row["camera"], row["class"]).set(row["rate"])
            self.outcomes.labels(row["camera"], row["class"]).set(row["outcomes"])

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
