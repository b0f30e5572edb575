"""Prometheus metrics: decisions, event-to-grant latency, and the false-alarm rate
per camera and class (the platform's promise of fewer false call-outs, measured)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


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
        # Resolved once: looking a label up costs more than counting (every decision).
        self._allow, self._deny = self.decisions.labels("allow"), self.decisions.labels("deny")

    def decision(self, allow: bool, seconds: float) -> None:
        (self._allow if allow else self._deny).inc()
        self.decision_time.observe(seconds)

    def set_rates(self, rows: list[dict]) -> None:
        for row in rows:
            self.false_alarm_rate.labels(row["camera"], row["class"]).set(row["rate"])
            self.outcomes.labels(row["camera"], row["class"]).set(row["outcomes"])

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
