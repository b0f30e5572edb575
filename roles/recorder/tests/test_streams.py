"""The housekeeping's stream check on real segments made by ffmpeg: what was
recorded against the camera's declared resolution and fps (arrêté du 3 août 2007
minimums, checked on the inventory by the model's rules)."""

import json
import os
import subprocess
import time

import pytest
from test_housekeeping import NOW, SCRIPT, hk


def segment(storage, camera, size, rate, age=60):
    """A 3-s H.264 MPEG-TS segment of ffmpeg's test pattern, filed like the recorder's."""
    path = storage / camera / "2027-01-15" / f"{camera}_20270115T075000Z.ts"
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
         "-i", f"testsrc=size={size}:rate={rate}", "-t", "3",
         "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts", str(path)],
        check=True,
    )  # fmt: skip
    os.utime(path, (NOW - age, NOW - age))
    return path


@pytest.fixture
def config(tmp_path):
    return {
        "storage_path": str(tmp_path / "rec"),
        "cameras": [],
        "stream_state_path": str(tmp_path / "streams.json"),
        "settle_seconds": 15,
    }


def camera(cam_id, resolution="1280x720", fps=12):
    return {"id": cam_id, "retention_days": 7, "resolution": resolution, "fps": fps}


def test_probe_measures_the_recorded_size_and_rate(tmp_path):
    path = segment(tmp_path, "cam1", "320x180", 12)
    width, height, fps = hk.probe_stream(path)
    assert (width, height) == (320, 180)
    assert fps == pytest.approx(12, abs=0.01)


def test_a_conforming_stream_passes_and_lower_ones_are_flagged(tmp_path, config):
    storage = tmp_path / "rec"
    config["cameras"] = [
        camera("ok"),
        camera("small"),
        camera("slow"),
        {"id": "undeclared", "retention_days": 7},
    ]
    segment(storage, "ok", "1280x720", 12)
    small = segment(storage, "small", "640x360", 12)
    slow = segment(storage, "slow", "1280x720", 5)
    segment(storage, "undeclared", "320x180", 5)
    assert sorted(p.name for p in hk.streams(config, NOW)) == sorted([small.name, slow.name])
    state = json.loads((tmp_path / "streams.json").read_text())
    assert set(state) == {"ok", "small", "slow"}, "no declaration: nothing to compare with"
    assert state["ok"]["below"] is False
    assert (state["ok"]["width"], state["ok"]["height"], state["ok"]["fps"]) == (1280, 720, 12.0)
    assert state["small"]["below"] is True and state["small"]["width"] == 640
    assert state["slow"]["below"] is True and state["slow"]["fps"] == 5.0


def test_more_than_declared_is_fine(tmp_path, config):
    config["cameras"] = [camera("cam1", "1280x720", 10)]
    segment(tmp_path / "rec", "cam1", "1920x1080", 15)
    assert hk.streams(config, NOW) == []


def test_a_single_frame_has_a_size_but_no_rate(tmp_path, config):
    config["cameras"] = [camera("cut", "1280x720", 12)]
    path = segment(tmp_path / "rec", "cut", "1280x720", 12)
    # A segment closed right after it began (recording paused at opening time).
    one = path.with_name("cut_20270115T075500Z.ts")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-frames:v", "1",
                    "-c", "copy", "-f", "mpegts", str(one)], check=True)  # fmt: skip
    os.utime(one, (NOW - 30, NOW - 30))
    assert hk.probe_stream(one)[2] is None
    assert hk.streams(config, NOW) == []


def test_an_unreadable_segment_is_flagged(tmp_path, config):
    config["cameras"] = [camera("cam1")]
    path = tmp_path / "rec" / "cam1" / "2027-01-15" / "cam1_20270115T075000Z.ts"
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(4096))
    os.utime(path, (NOW - 60, NOW - 60))
    assert hk.streams(config, NOW) == [path]


def test_no_finished_segment_is_nothing_to_check(tmp_path, config):
    config["cameras"] = [camera("empty"), camera("writing")]
    segment(tmp_path / "rec", "writing", "320x180", 2, age=1)  # still being written
    assert hk.streams(config, NOW) == []
    state = json.loads((tmp_path / "streams.json").read_text())
    assert state["empty"]["segment"] is None and state["writing"]["below"] is False


def test_the_job_fails_and_journals_a_stable_tag(tmp_path, config):
    config["cameras"] = [camera("slow")]
    path = segment(tmp_path / "rec", "slow", "1280x720", 5)
    os.utime(path, (time.time() - 120, time.time() - 120))  # the CLI runs at the real time
    cfg = tmp_path / "cameras.json"
    cfg.write_text(json.dumps(config))
    result = subprocess.run(
        ["python3", str(SCRIPT), "streams", "--config", str(cfg)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "STREAM-BELOW-DECLARED: slow:" in result.stderr
    assert "5.00 fps recorded, 12 declared" in result.stderr
