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
    stamp = event.time.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{event.site}_{event.camera}_{stamp}_{event.cls}-{event.kind}.jpg"
    cv2.imwrite(str(directory / name), event.frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    event.snapshot = name
    return name


def purge_snapshots(directory: str | Path, retention_days: int, now: dt.datetime) -> int:
    """Snapshots are recordings: destroy them after the retention (CSI L252-5)."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    limit = now.timestamp() - retention_days * 86_400
    removed = 0
    for path in directory.glob("*.jpg"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
