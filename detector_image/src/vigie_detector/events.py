"""Events: what the detector says, as JSON, with a masked snapshot reference."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Event:
    site: str
    camera: str
    cls: str  # intrusion | tamper | fire
    kind: str  # person | covered | blinded | defocus | moved | black | frozen | signal_loss
    zone: str | None
    time: dt.datetime
    score: float
    video_time_s: float | None = None
    snapshot: str | None = None
    frame: np.ndarray | None = field(default=None, repr=False)  # already privacy-masked

    def to_dict(self) -> dict:
        doc = {
            "site": self.site,
            "camera": self.camera,
            "class": self.cls,
            "kind": self.kind,
            "zone": self.zone,
            "time": self.time.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
            "score": round(float(self.score), 3),
            "snapshot": self.snapshot,
        }
        if self.video_time_s is not None:
            doc["video_time_s"] = round(self.video_time_s, 3)
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def topic(prefix: str, site: str, camera: str) -> str:
    return f"{prefix}/{site}/{camera}/events"


def save_snapshot(event: Event, directory: str | Path) -> str | None:
    """Write the masked frame as JPEG; returns the file name used as reference."""
    if event.frame is None:
        return None
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = snapshot_name(event)
    cv2.imwrite(str(directory / name), event.frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    event.snapshot = name
    return name


SNAPSHOT_STAMP = "%Y%m%dT%H%M%S%fZ"


def snapshot_name(event: Event) -> str:
    stamp = event.time.astimezone(dt.UTC).strftime(SNAPSHOT_STAMP)
    return f"{event.site}_{event.camera}_{stamp}_{event.cls}-{event.kind}.jpg"


def recorded_at(name: str) -> tuple[str, str, dt.datetime] | None:
    """(site, camera, time of the event) read back from a snapshot's name."""
    parts = name.removesuffix(".jpg").split("_")
    if len(parts) != 4:
        return None
    try:
        when = dt.datetime.strptime(parts[2], SNAPSHOT_STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return parts[0], parts[1], when


def purge_snapshots(config, now: dt.datetime) -> int:
    """Snapshots are recordings: each is destroyed after ITS camera's retention.

    The age is the event's time written in the name (recording time), not the
    file's modification time, which a copy or a restore would reset. A snapshot
    of a camera no longer configured, or with an unreadable name, is kept for the
    detector-wide limit only.
    """
    directory = Path(config.snapshots_dir)
    if not directory.is_dir():
        return 0
    days = {(c.site, c.id): c.snapshot_retention_days for c in config.cameras}
    removed = 0
    for path in directory.glob("*.jpg"):
        meta = recorded_at(path.name)
        if meta is None:
            when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            keep = config.snapshot_retention_days
        else:
            site, camera, when = meta
            keep = days.get((site, camera)) or config.snapshot_retention_days
        if now - when > dt.timedelta(days=keep):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
