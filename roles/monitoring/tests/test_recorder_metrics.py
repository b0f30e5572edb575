"""Unit tests of the recorder metrics script."""

import importlib.machinery
import importlib.util
import os
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "files" / "vigie-recorder-metrics"
loader = importlib.machinery.SourceFileLoader("recorder_metrics", str(SCRIPT))
spec = importlib.util.spec_from_loader("recorder_metrics", loader)
metrics = importlib.util.module_from_spec(spec)
loader.exec_module(metrics)
NOW = 1_800_000_000.0


def segment(root, camera, name, size, age):
    path = root / camera / "2027-01-15" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age, NOW - age))


def test_age_and_bytes_per_camera(tmp_path):
    segment(tmp_path, "cam1", "a.ts", 100, 400)
    segment(tmp_path, "cam1", "b.ts", 50, 2.5)
    segment(tmp_path, "cam2", "a.ts", 7, 3600)
    stats = metrics.camera_stats(tmp_path, NOW)
    assert stats["cam1"]["vigie_recorder_last_segment_age_seconds"] == 2.5
    assert stats["cam1"]["vigie_recorder_stored_bytes"] == 150
    assert stats["cam1"]["vigie_recorder_segments"] == 2
    assert stats["cam2"]["vigie_recorder_last_segment_age_seconds"] == 3600


def test_camera_without_segment_is_infinitely_stale(tmp_path):
    (tmp_path / "cam3" / "2027-01-15").mkdir(parents=True)
    text = metrics.render(metrics.camera_stats(tmp_path, NOW))
    assert 'vigie_recorder_last_segment_age_seconds{camera="cam3"} +Inf' in text
    assert 'vigie_recorder_segments{camera="cam3"} 0' in text


def test_output_is_prometheus_text_and_replaced_atomically(tmp_path):
    rec = tmp_path / "rec"
    segment(rec, "cam1", "a.ts", 10, 1)
    out = tmp_path / "vigie_recorder.prom"
    out.write_text("stale\n")
    assert metrics.main(["x", str(rec), str(out)]) == 0
    text = out.read_text()
    assert "stale" not in text
    assert "# TYPE vigie_recorder_stored_bytes gauge" in text
    assert 'vigie_recorder_stored_bytes{camera="cam1"} 10' in text
    assert not list(tmp_path.glob(".vigie_recorder.*"))


def test_missing_recordings_folder_gives_empty_metrics(tmp_path):
    out = tmp_path / "m.prom"
    assert metrics.main(["x", str(tmp_path / "none"), str(out)]) == 0
    assert "{camera=" not in out.read_text()


def test_oldest_footage_goes_by_the_recording_time_in_the_name(tmp_path):
    # Recorded 2 days before NOW, copied back a minute ago.
    segment(tmp_path, "cam1", "cam1_20270113T080000Z.ts", 10, 60)
    segment(tmp_path, "cam1", "cam1_20270115T074000Z.ts", 10, 5)
    stats = metrics.camera_stats(tmp_path, NOW)
    assert stats["cam1"]["vigie_recorder_oldest_footage_age_seconds"] == 2 * 86400


def test_retention_and_mask_results_are_exported(tmp_path):
    import json

    rec = tmp_path / "rec"
    segment(rec, "cam1", "cam1_20270113T080000Z.ts", 10, 60)
    cameras = tmp_path / "cameras.json"
    cameras.write_text(json.dumps({"cameras": [{"id": "cam1", "retention_days": 1}]}))
    masks = tmp_path / "masks.json"
    masks.write_text(json.dumps({"cam1": {"leak": True, "checked_at": 1.8e9}}))
    streams = tmp_path / "streams.json"
    streams.write_text(json.dumps({"cam1": {"below": False, "checked_at": 1.8e9}}))
    out = tmp_path / "m.prom"
    argv = ["x", str(rec), str(out), "--cameras", str(cameras), "--masks", str(masks)]
    argv += ["--streams", str(streams)]
    assert metrics.main(argv) == 0
    text = out.read_text()
    assert 'vigie_recorder_retention_seconds{camera="cam1"} 86400' in text
    assert 'vigie_recorder_privacy_mask_leak{camera="cam1"} 1' in text
    assert 'vigie_recorder_privacy_mask_check_timestamp_seconds{camera="cam1"} 1800000000' in text
    assert "vigie_recorder_oldest_footage_age_seconds" in text
    assert 'vigie_recorder_stream_below_declared{camera="cam1"} 0' in text
    streams.write_text(json.dumps({"cam1": {"below": True, "checked_at": 1.8e9}}))
    assert metrics.main(argv) == 0
    assert 'vigie_recorder_stream_below_declared{camera="cam1"} 1' in out.read_text()
