"""Tamper made by ffmpeg's filters (tests/ffinject.py) over real footage, decoded
as the detector decodes a stream: every kind is seen, with the right kind, within
2 s of its start (frozen: of `frozen_after_s`; signal loss: of `signal_loss_after_s`)."""

from __future__ import annotations

import datetime as dt

import ffinject
import pytest
from helpers import config, frames_at
from vigie_detector.analyzer import CameraAnalyzer

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
FPS = ffinject.FPS
START = 16.4  # after warm-up and reference learning; not on a key frame
HEALTH_EVERY_S = 5.0  # the service checks for signal loss this often


def detect(frames, cut: bool, **tamper):
    cfg = config(detection={"classes": ["tamper"], "tamper": tamper})
    analyzer = CameraAnalyzer(cfg.cameras[0], cfg)
    events = []
    for i, frame in enumerate(frames):
        events += [(i / FPS, e.kind) for e in analyzer.process(frame, T0, i / FPS)]
    if not cut:  # the clip's end is not the tamper: the stream would go on
        return events
    end = len(frames) / FPS
    for k in range(1, 6):  # the service's periodic check after the last frame
        t = end + k * HEALTH_EVERY_S
        events += [(t, e.kind) for e in analyzer.check_signal(T0, t)]
    return events


@pytest.mark.parametrize("kind", ffinject.KINDS)
def test_ffmpeg_made_tamper_is_detected(negatives, tmp_path_factory, kind):
    out = tmp_path_factory.mktemp("ffinject") / f"{kind}.mp4"
    clip = ffinject.make(negatives / "vtest.avi", out, kind, START, START + 16, seed=5)
    settings, due = {}, START
    if kind == "frozen":
        settings, due = {"frozen_after_s": 10}, START + 10
    if kind == "signal_loss":
        settings, due = {"signal_loss_after_s": 10}, START + 10
    events = detect(frames_at(clip), kind == "signal_loss", **settings)
    assert [k for _, k in events] == [kind], events
    slack = HEALTH_EVERY_S if kind == "signal_loss" else 2.0
    assert due <= events[0][0] + 0.2 <= due + slack + 0.2, events
