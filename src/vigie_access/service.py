"""Wiring: the model, the policy, the tokens, the journal, the store and MQTT."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from vigie.access.settings import site_settings
from vigie.access.tokens import MAX_LIFETIME_S
from vigie.central import alarm_feeds, camera_sources
from vigie.model import Inventory
from vigie_access.adapters import ModelPolicy
from vigie_access.core import AccessCore
from vigie_access.journal import open_journal
from vigie_access.metrics import Metrics
from vigie_access.mqtt import Bus
from vigie_access.snapshots import detector_hosts
from vigie_access.store import Store, parse
from vigie_access.tokencache import CachedTokens

TOKEN_KEY = "token.key"


def token_lifetime(inv: Inventory) -> int:
    """One lifetime for the gateway's tokens: the shortest any site asks for."""
    lives = [site_settings(inv, s).token_lifetime_s for s in inv.sites.values()]
    return max(1, min([MAX_LIFETIME_S, *lives]))


def build_core(cfg, inv: Inventory, metrics: Metrics) -> tuple[AccessCore, Bus]:
    Path(cfg.database).parent.mkdir(parents=True, exist_ok=True)
    sources = camera_sources(inv)

    def recorder_url(source) -> str:
        return cfg.recorder_urls.get(source.recorder) or cfg.recorder_url.format(
            address=source.recorder_address
        )

    detectors = detector_hosts(inv)

    def snapshot_url(site: str, camera: str) -> str | None:
        """The snapshot server of the detector host analysing this camera."""
        if (site, camera) not in detectors:
            return None
        host, address = detectors[(site, camera)]
        return cfg.snapshot_urls.get(host) or cfg.snapshot_url.format(address=address)

    tokens = CachedTokens.from_key_file(Path(cfg.keys) / TOKEN_KEY, lifetime_s=token_lifetime(inv))
    core_box: list[AccessCore] = []

    def on_event(doc: dict, origin: str, now: dt.datetime) -> None:
        grants = core_box[0].on_event(doc, origin, now)
        if grants and "time" in doc:
            metrics.grant_latency.observe(
                (dt.datetime.now(dt.UTC) - parse(doc["time"])).total_seconds()
            )

    bus = Bus(cfg.mqtt, on_event, alarm_feeds(inv))
    core = AccessCore(
        store=Store(cfg.database),
        policy=ModelPolicy(inv),
        tokens=tokens,
        journal=open_journal(cfg),
        sources=sources,
        publish=bus.publish,
        segment_seconds=cfg.segment_seconds,
        recorder_url=recorder_url,
        snapshot_url=snapshot_url,
    )
    core_box.append(core)
    # The policy set in force is journaled at every start ("policy deployed").
    text = core.policy.engine.policies
    core.log(
        "policy_deployed",
        "deployed",
        "ACCESS-POLICY-DEPLOYED",
        dt.datetime.now(dt.UTC),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        reason=f"{len(inv.agencies)} agencies, {inv.camera_count()} cameras",
    )
    return core, bus
