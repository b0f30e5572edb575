"""Replay mode: video files instead of RTSP, one JSON event per line.

Frames are analysed at the camera's ``fps`` (others skipped) and timed by their
position in the file, so results do not depend on the machine's speed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import cv2

from vigie_detector.analyzer import CameraAnalyzer
from vigie_detector.config import CameraConfig, DetectorConfig
from vigie_detector.events import save_snapshot


class ReplayError(Exception):
    pass


def replay_file(
    analyzer: CameraAnalyzer, video: str | Path, start: dt.datetime, snapshots: str | None = None
) -> list[dict]:
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ReplayError(f"{video}: cannot open the video")
    src_fps = cap.get(cv2.CAP_PROP_FPS) or analyzer.cam.fps
    step = max(1, round(src_fps / analyzer.cam.fps))
    out = []
    index = 0
    try:
        while True:
            if index % step:
                if not cap.grab():
                    break
                index += 1
                continue
            ok, frame = cap.read()
            if not ok:
                break
            t = index / src_fps
            for ev in analyzer.process(frame, start + dt.timedelta(seconds=t), t, video_time_s=t):
                if snapshots:
                    save_snapshot(ev, snapshots)
                doc = ev.to_dict()
                doc["video"] = Path(video).name
                out.append(doc)
            index += 1
    finally:
        cap.release()
    return out


def pick_camera(config: DetectorConfig, camera_id: str | None) -> CameraConfig:
    if camera_id is None:
        return config.cameras[0]
    for cam in config.cameras:
        if cam.id == camera_id:
            return cam
    raise ReplayError(f"no camera {camera_id!r} in the configuration")


def replay(
    config: DetectorConfig,
    videos: list[str],
    events_out: str,
    camera_id: str | None = None,
    start: dt.datetime | None = None,
    snapshots: str | None = None,
) -> int:
    """Each video is a fresh camera (its own reference). Returns the event count."""
    cam = pick_camera(config, camera_id)
    start = start or dt.datetime.now(dt.UTC)
    count = 0
    with open(events_out, "w", encoding="utf-8") as fh:
        for video in videos:
            for doc in replay_file(CameraAnalyzer(cam, config), video, start, snapshots):
                fh.write(json.dumps(doc, sort_keys=True) + "\n")
                count += 1
    return count
