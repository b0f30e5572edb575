"""Wiring: the model's hand-over, the policy, the tokens, the journal, the store and MQTT."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from types import SimpleNamespace

from vigie.desired.gateway import GatewayHandOver
from vigie_access.adapters import ModelPolicy
from vigie_access.core import AccessCore
from vigie_access.journal import open_journal
from vigie_access.metrics import Metrics
from vigie_access.mqtt import Bus
from vigie_access.store import Store, parse
from vigie_access.tokencache import CachedTokens

TOKEN_KEY = "token.key"


def broker_client(cfg, doc: GatewayHandOver) -> SimpleNamespace:
    """The MQTT client's settings: the model's broker, on this host's loopback when the
    configuration says so (the broker's certificate names both)."""
    m = cfg.mqtt
    return SimpleNamespace(
        host=m.host or doc.broker.host,
        port=doc.broker.port,
        client_id=m.client_id,
        ca_file=m.ca_file,
        cert_file=m.cert_file,
        key_file=m.key_file,
    )


def build_core(cfg, doc: GatewayHandOver, metrics: Metrics) -> tuple[AccessCore, Bus]:
    Path(cfg.database).parent.mkdir(parents=True, exist_ok=True)
    by_camera = {(c.site, c.camera): c for c in doc.cameras.values()}

    def snapshot_url(site: str, camera: str) -> str | None:
        """The snapshot server of the detector host analysing this camera."""
        cam = by_camera.get((site, camera))
        return cam.snapshot_url if cam else None

    tokens = CachedTokens.from_key_file(Path(cfg.keys) / TOKEN_KEY, lifetime_s=doc.token_lifetime_s)
    core_box: list[AccessCore] = []

    def on_event(event: dict, origin: str, now: dt.datetime) -> None:
        grants = core_box[0].on_event(event, origin, now)
        if grants and "time" in event:
            metrics.grant_latency.observe(
                (dt.datetime.now(dt.UTC) - parse(event["time"])).total_seconds()
            )

    journal = open_journal(cfg)
    feeds = {(f.site, f.source): f for f in doc.alarm_feeds}
    bus = Bus(broker_client(cfg, doc), on_event, feeds, journal)
    metrics.watch_bus(bus)
    core = AccessCore(
        store=Store(cfg.database),
        policy=ModelPolicy(doc),
        tokens=tokens,
        journal=journal,
        sources=dict(doc.cameras),
        publish=bus.publish,
        segment_seconds=doc.segment_seconds,
        recorder_url=lambda source: source.recorder_url,
        snapshot_url=snapshot_url,
        live_path=doc.live_path,
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
        reason=f"{len(doc.agencies)} agencies, {doc.camera_count()} cameras",
    )
    return core, bus
