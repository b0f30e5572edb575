"""One camera's analysis: privacy masks first, then tamper, intrusion and fire."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np

from vigie_detector.config import CameraConfig, DetectorConfig
from vigie_detector.events import Event
from vigie_detector.fire import FIRE_WIDTH, FireDetector
from vigie_detector.geometry import PrivacyMasker
from vigie_detector.intrusion import IntrusionDetector, PeopleVerifier
from vigie_detector.motion import SMALL_WIDTH, MotionDetector
from vigie_detector.schedule import Schedule
from vigie_detector.tamper import TamperDetector


def resize_width(img: np.ndarray, width: int) -> np.ndarray:
    h, w = img.shape[:2]
    if w == width:
        return img
    return cv2.resize(img, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


class CameraAnalyzer:
    def __init__(
        self, cam: CameraConfig, config: DetectorConfig, verifier: PeopleVerifier | None = None
    ):
        self.cam = cam
        det = cam.detection
        classes = set(det.classes) if det else set()
        self.masker = PrivacyMasker(cam.privacy_masks)
        # The camera's own site's closures: its container may cover other sites.
        closures = [*cam.closures, *({"from": d, "to": d} for d in config.holidays)]
        self.schedule = Schedule.build(cam.opening_hours, cam.timezone or config.timezone, closures)
        self.always = det is not None and det.active == "always"
        self.tamper = TamperDetector(det.tamper) if "tamper" in classes else None
        self.motion = None
        self.intrusion = None
        self._intrusion_args = None
        if "intrusion" in classes:
            self.motion = MotionDetector(min_area=det.intrusion.min_motion_area)
            self._intrusion_args = (det.intrusion, det.zones, verifier or PeopleVerifier())
        # Fire is watched at any hour (a fire is an emergency open or closed).
        self.fire = FireDetector(det.fire, det.zones) if "fire" in classes else None
        self.frames = 0

    def closed(self, when: dt.datetime) -> bool:
        return self.always or not self.schedule.is_open(when)

    def process(
        self, frame: np.ndarray, when: dt.datetime, t: float, video_time_s: float | None = None
    ) -> list[Event]:
        """Analyse one decoded frame (BGR). when: wall clock; t: monotonic seconds."""
        self.frames += 1
        img = resize_width(frame, self.cam.analysis_width)
        if img is frame and self.masker.polygons:
            img = frame.copy()  # masks are drawn in place: keep the caller's frame intact
        # Privacy masks are filled before anything looks at the picture.
        self.masker.apply(img)
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        small = resize_width(gray, SMALL_WIDTH)
        out: list[Event] = []

        def event(cls: str, kind: str, zone: str | None, score: float) -> Event:
            return Event(
                self.cam.site, self.cam.id, cls, kind, zone, when, score, video_time_s, frame=img
            )

        if self.tamper is not None:
            mid = resize_width(gray, 320)
            out += [event("tamper", kind, None, s) for kind, s in self.tamper.update(small, mid, t)]
        if self.motion is not None:
            if self.intrusion is None:
                cfg, zones, verifier = self._intrusion_args
                self.intrusion = IntrusionDetector(cfg, zones, gray.shape[0], verifier)
            fg, blobs = self.motion.update(small)
            tampered = self.tamper is not None and self.tamper.tampered
            if self.closed(when) and not tampered:
                out += [
                    event("intrusion", "person", z, s)
                    for z, s in self.intrusion.update(fg, blobs, gray, t)
                ]
            else:
                self.intrusion.reset()
        if self.fire is not None:
            # Not silenced by tamper: a fire next to the lens can itself look like
            # glare or a moved camera, and a missed fire costs more than a double alarm.
            out += [
                event("fire", kind, z, s)
                for kind, z, s in self.fire.update(resize_width(img, FIRE_WIDTH), t)
            ]
        return out

    def check_signal(self, when: dt.datetime, t: float) -> list[Event]:
        if self.tamper is None:
            return []
        return [
            Event(self.cam.site, self.cam.id, "tamper", kind, None, when, s)
            for kind, s in self.tamper.check_signal(t)
        ]
