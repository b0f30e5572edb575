"""One camera as the hosts that record or analyse it take it: the record the
recorders get (`recorder__cameras`) and the entry of a detector's configuration."""

from __future__ import annotations

from typing import Any

from vigie.cameras import analysis_stream, camera_credential
from vigie.desired import constants
from vigie.model import Camera, Inventory, Site
from vigie.netplan import SitePlan

# What the recorder role takes (INTERFACES.md, `recorder__cameras`).
RECORDER_CAMERA_KEYS = (
    "id",
    "address",
    "rtsp_url",
    "credential",
    "retention_days",
    "bitrate_kbps",
    "fps",
    "keyframe_seconds",
    "resolution",
    "films_public_road",
    "privacy_masks",
    "recording",
)


def _closures(inv: Inventory, site: Site) -> list[dict[str, str]]:
    spans = [*inv.departement.closures, *site.closures]
    return [
        {"from": c.first.isoformat(), "to": c.last.isoformat()}
        for c in sorted(spans, key=lambda c: (c.first, c.last))
    ]


def _polygons(polys: Any) -> list[list[list[float]]]:
    return [[list(p) for p in poly] for poly in polys]


def camera_record(inv: Inventory, site: Site, cam: Camera, sp: SitePlan) -> dict[str, Any]:
    """One camera as recorders and detectors take it (INTERFACES: `recorder__cameras`)."""
    address = sp.camera_address(cam.id)
    timezone = site.timezone or inv.departement.timezone
    stream = analysis_stream(inv, cam)
    detection = None
    if cam.detection is not None:
        detection = {
            "classes": list(cam.detection.classes),
            "zones": {n: _polygons([p])[0] for n, p in cam.detection.zones.items()},
            "active": cam.detection.active,
            "opening_hours": site.opening_hours,
        }
    return {
        "id": cam.host_name,
        "address": address,
        "rtsp_url": f"rtsp://{address}:{constants.RTSP_PORT}{cam.rtsp_path}",
        "credential": camera_credential(site, cam),
        "retention_days": cam.retention_days,
        "bitrate_kbps": cam.bitrate_kbps,
        "fps": cam.fps,
        "keyframe_seconds": cam.keyframe_seconds,
        "resolution": cam.resolution,
        "films_public_road": cam.films_public_road,
        "privacy_masks": _polygons(cam.privacy_masks),
        "recording": {
            "mode": cam.recording,
            "opening_hours": site.opening_hours,
            "timezone": timezone,
            "closures": _closures(inv, site),
        },
        "detection": detection,
        "analysis_stream": {
            "rtsp_url": f"rtsp://{address}:{constants.RTSP_PORT}{stream.path}",
            "resolution": stream.resolution,
            "fps": stream.fps,
        },
        "snapshot_retention_days": cam.retention_days,
    }


def recorder_camera(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a camera's record the recorder role takes."""
    return {k: record[k] for k in RECORDER_CAMERA_KEYS}


def detector_camera(site_id: str, camera_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """A camera entry of a detector configuration (credentials are added by Pulumi)."""
    stream = record["analysis_stream"]
    return {
        "id": camera_id,
        "site": site_id,
        "url": stream["rtsp_url"],
        "credential": record["credential"],
        "fps": stream["fps"],
        "analysis_width": min(int(stream["resolution"].split("x")[0]), constants.ANALYSIS_WIDTH),
        "analysis_stream": stream,
        "snapshot_retention_days": record["snapshot_retention_days"],
        "detection": (
            {k: v for k, v in record["detection"].items() if k != "opening_hours"}
            if record["detection"]
            else None
        ),
        "privacy_masks": record["privacy_masks"],
        "opening_hours": record["recording"]["opening_hours"],
        "timezone": record["recording"]["timezone"],
        "closures": record["recording"]["closures"],
    }
