"""The access service's hand-over (`vigie.desired.gateway`), from the sites the
deployment keeps and the fleet plan its detectors are deployed with."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vigie.access_policy import cedar
from vigie.access_policy.competence import requisition_approver
from vigie.access_policy.settings import site_settings
from vigie.access_policy.tokens import MAX_LIFETIME_S
from vigie.central import TOPIC_PREFIX, alarm_feeds, camera_sources
from vigie.desired import constants
from vigie.desired.gateway import VERSION
from vigie.desired.scope import Scope
from vigie.fleet import FleetPlan
from vigie.model import Inventory, Site
from vigie.names import detector_host_name

TERMS = (
    "window_before_min",
    "window_after_min",
    "live_view_min",
    "token_lifetime_s",
    "extension_min",
    "break_glass_min",
)


def gateway_hand_over(scope: Scope, fleet: FleetPlan, broker: dict[str, Any]) -> dict[str, Any]:
    inv, sites = scope.inv, scope.sites
    return {
        "version": VERSION,
        "departement": f"{inv.departement.name} ({inv.departement.code})",
        "broker": {**broker, "topic_prefix": TOPIC_PREFIX},
        "live_path": constants.LIVE_PATH,
        "segment_seconds": scope.segment_seconds,
        "token_lifetime_s": token_lifetime(inv, sites.values()),
        "cameras": _cameras(scope, fleet),
        "alarm_feeds": _feeds(inv, sites),
        "sites": {s.id: _site(inv, s) for s in sites.values()},
        "agencies": {
            a.id: {
                "kind": a.kind,
                "operators": list(a.operators),
                "supervisors": list(a.supervisors),
            }
            for a in inv.agencies.values()
        },
        "policy": {
            "text": cedar.policies_text(inv),
            "entities": cedar.entities(inv, sites.values()),
        },
    }


def token_lifetime(inv: Inventory, sites) -> int:
    """One lifetime for the gateway's tokens: the shortest any site asks for."""
    lives = [site_settings(inv, s).token_lifetime_s for s in sites]
    return max(1, min([MAX_LIFETIME_S, *lives]))


def _cameras(scope: Scope, fleet: FleetPlan) -> dict[str, dict[str, Any]]:
    address = {
        detector_host_name(s.id, d.id): scope.plan.sites[s.id].detector_address(d.id)
        for s in scope.inv.sites.values()
        for d in s.detector_hosts
    }
    analysed = {(c.site_id, c.id): h.host.name for h in fleet.hosts for c in h.cameras}
    out = {}
    for key, src in camera_sources(scope.inv, scope.plan, scope.sites.values()).items():
        host = analysed.get((src.site, src.camera))
        out[key] = {
            "key": key,
            "site": src.site,
            "camera": src.camera,
            "recorder": src.recorder,
            "recorder_url": f"http://{src.recorder_address}:{constants.SEGMENT_PORT}",
            "retention_days": src.retention_days,
            "detection": list(src.detection),
            "detector_host": host,
            "snapshot_url": (f"http://{address[host]}:{constants.SNAPSHOT_PORT}" if host else None),
        }
    return out


def _feeds(inv: Inventory, sites: dict[str, Site]) -> list[dict[str, Any]]:
    """The alarm feeds of the sites kept, each opening the cameras kept (a lab trims them)."""
    out = []
    for feed in alarm_feeds(inv, sites.values()).values():
        kept = {c.id for c in sites[feed.site].cameras}
        cameras = [c for c in feed.cameras if c in kept]
        if cameras:
            out.append({**asdict(feed), "cameras": cameras})
    return out


def _site(inv: Inventory, site: Site) -> dict[str, Any]:
    settings = site_settings(inv, site)
    return {
        "name": site.name,
        "kind": site.kind,
        "insee": site.insee,
        "address": getattr(site, "address", None) or None,
        "access_point": getattr(site, "access_point", None) or None,
        "requisition_approver": requisition_approver(inv, site),
        "terms": {k: getattr(settings, k) for k in TERMS},
    }
