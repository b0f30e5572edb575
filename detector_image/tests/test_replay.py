"""Replay mode on short real clips, through the command line, as CI and tuners use it."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from helpers import EXAMPLES
from inject import black


@pytest.fixture(scope="module")
def clips(footage, tmp_path_factory):
    """vtest.avi's first 30 s, clean and with the picture going black at 18 s."""
    out = tmp_path_factory.mktemp("clips")
    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    fps = cap.get(cv2.CAP_PROP_FPS)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    fourcc = cv2.VideoWriter_fourcc(*"MJPG")
    clean = cv2.VideoWriter(str(out / "clean.avi"), fourcc, fps, size)
    tampered = cv2.VideoWriter(str(out / "black-at-18s.avi"), fourcc, fps, size)
    rng = np.random.default_rng(0)
    for i in range(int(30 * fps)):
        ok, frame = cap.read()
        assert ok
        clean.write(frame)
        tampered.write(black(frame, rng) if i >= 18 * fps else frame)
    clean.release()
    tampered.release()
    return out


def run_replay(config, videos, out) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "vigie_detector", "replay", "--config", str(config)]
    cmd += [*map(str, videos), "--events-out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True)


def replay(config, videos, out):
    proc = run_replay(config, videos, out)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_tamper_replay(clips, tmp_path):
    events = replay(
        EXAMPLES / "tamper.yml",
        [clips / "clean.avi", clips / "black-at-18s.avi"],
        tmp_path / "t.jsonl",
    )
    assert [(e["video"], e["class"], e["kind"]) for e in events] == [
        ("black-at-18s.avi", "tamper", "black")
    ]
    assert 18.0 <= events[0]["video_time_s"] <= 20.0


def test_intrusion_replay(clips, tmp_path):
    events = replay(EXAMPLES / "intrusion.yml", [clips / "clean.avi"], tmp_path / "i.jsonl")
    assert events and all(e["class"] == "intrusion" and e["zone"] == "floor" for e in events)
    times = [e["video_time_s"] for e in events]
    assert times[0] < 3.0
    # cool-down of 10 s in the example: one event per 10 s of continuous presence
    assert all(b - a >= 10.0 for a, b in itertools.pairwise(times))
    assert {
        "site",
        "camera",
        "class",
        "kind",
        "zone",
        "time",
        "score",
        "snapshot",
        "video_time_s",
    } <= set(events[0])


def test_unreadable_video_is_a_clean_error(tmp_path):
    bad = tmp_path / "not-a-video.avi"
    bad.write_text("nope")
    proc = run_replay(EXAMPLES / "tamper.yml", [bad], tmp_path / "x.jsonl")
    assert proc.returncode == 2 and "cannot open" in proc.stderr and "Traceback" not in proc.stderr
