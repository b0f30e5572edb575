"""Unit tests of the recorder's housekeeping script (retention, purge, manifest)."""

import hashlib
import importlib.machinery
import importlib.util
import os
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "files" / "vigie-recorder-housekeeping"
NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC
DAY = 86400


def load():
    loader = importlib.machinery.SourceFileLoader("housekeeping", str(SCRIPT))
    spec = importlib.util.spec_from_loader("housekeeping", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


hk = load()


def make(storage, camera, day, name, age, size=10):
    path = storage / camera / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    os.utime(path, (NOW - age, NOW - age))
    return path


@pytest.fixture
def config(tmp_path):
    return {
        "storage_path": str(tmp_path),
        "cameras": [{"id": "cam1", "retention_days": 7}, {"id": "cam2", "retention_days": 1}],
        "orphan_retention_days": 30,
        "purge_threshold_percent": 90,
        "purge_target_percent": 85,
        "settle_seconds": 15,
    }


def test_retention_follows_each_camera(tmp_path, config):
    old2 = make(tmp_path, "cam2", "2027-01-13", "cam2_a.ts", 2 * DAY)
    young2 = make(tmp_path, "cam2", "2027-01-15", "cam2_b.ts", 3600)
    old1 = make(tmp_path, "cam1", "2027-01-13", "cam1_a.ts", 2 * DAY)
    removed = hk.retention(config, NOW)
    assert removed == [old2]
    assert young2.exists() and old1.exists()
    assert not old2.parent.exists(), "an emptied past day folder is removed"
    assert (tmp_path / "cam1" / "2027-01-16").is_dir(), "tomorrow's folder is ready"


def test_retention_of_unknown_camera_is_the_legal_cap(tmp_path, config):
    kept = make(tmp_path, "gone", "2026-12-20", "gone_a.ts", 29 * DAY)
    expired = make(tmp_path, "gone", "2026-12-10", "gone_b.ts", 31 * DAY)
    assert hk.retention(config, NOW) == [expired]
    assert kept.exists()


def test_retention_keeps_todays_empty_folder(tmp_path, config):
    (tmp_path / "cam1" / "2027-01-15").mkdir(parents=True)
    hk.retention(config, NOW)
    assert (tmp_path / "cam1" / "2027-01-15").is_dir()


def fake_disk(tmp_path, total):
    """Disk use in percent = bytes of the segments present / total."""

    def used(_storage):
        return 100.0 * sum(p.stat().st_size for p in tmp_path.rglob("*.ts")) / total

    return used


def test_purge_deletes_oldest_finished_until_target(tmp_path, config):
    paths = [
        make(tmp_path, "cam1", "2027-01-14", f"cam1_{i}.ts", DAY - i * 60, 100) for i in range(5)
    ]
    active = make(tmp_path, "cam2", "2027-01-15", "cam2_now.ts", 1, 100)
    # 600 bytes on a 650-byte disk: 92 %; target 85 % needs <= 552 bytes.
    removed = hk.purge(config, NOW, used=fake_disk(tmp_path, 650))
    assert removed == paths[:1]
    assert active.exists()


def test_purge_never_touches_the_segment_being_written(tmp_path, config):
    active = make(tmp_path, "cam1", "2027-01-15", "cam1_now.ts", 2, 100)
    assert hk.purge(config, NOW, used=fake_disk(tmp_path, 100)) == []
    assert active.exists()


def test_purge_does_nothing_under_threshold(tmp_path, config):
    make(tmp_path, "cam1", "2027-01-14", "cam1_0.ts", DAY, 100)
    assert hk.purge(config, NOW, used=fake_disk(tmp_path, 1000)) == []


def test_manifest_is_sha256sum_compatible_and_incremental(tmp_path, config):
    done = make(tmp_path, "cam1", "2027-01-15", "cam1_0.ts", 60, 1000)
    active = make(tmp_path, "cam1", "2027-01-15", "cam1_1.ts", 1, 1000)
    assert hk.manifest(config, NOW) == [done]
    sums = done.parent / "SHA256SUMS"
    assert sums.read_text() == f"{hashlib.sha256(done.read_bytes()).hexdigest()}  cam1_0.ts\n"
    assert (
        subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=done.parent, capture_output=True
        ).returncode
        == 0
    )
    assert hk.manifest(config, NOW) == [], "already listed segments are not hashed again"
    os.utime(active, (NOW - 60, NOW - 60))
    assert hk.manifest(config, NOW) == [active]
    assert len(sums.read_text().splitlines()) == 2


def test_a_folder_whose_manifest_cannot_be_written_does_not_stop_the_others(tmp_path, config):
    import json

    # cam1's manifest cannot be opened for appending (a folder in its place: a
    # permission error is not reproducible as root); cam2's day comes after it.
    stuck = make(tmp_path, "cam1", "2027-01-15", "cam1_0.ts", 60, 1000)
    (stuck.parent / "SHA256SUMS").mkdir()
    done = make(tmp_path, "cam2", "2027-01-15", "cam2_0.ts", 60, 1000)
    with pytest.raises(hk.ManifestErrors) as caught:
        hk.manifest(config, NOW)
    added, failed = caught.value.args
    assert added == [done] and list(failed) == [stuck.parent]
    assert (done.parent / "SHA256SUMS").read_text().endswith("  cam2_0.ts\n")
    # The job fails (systemctl --failed shows it) and names the folder.
    cfg = tmp_path.parent / f"{tmp_path.name}-cameras.json"
    cfg.write_text(json.dumps(config))
    (done.parent / "SHA256SUMS").unlink()
    for path in (stuck, done):  # the command line hashes by the real clock
        os.utime(path, (time.time() - 60, time.time() - 60))
    result = subprocess.run(
        ["python3", str(SCRIPT), "manifest", "--config", str(cfg)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"MANIFEST-UNWRITABLE {stuck.parent}/SHA256SUMS" in result.stderr
    assert f"manifest: {done}" in result.stdout


def test_cli_runs_a_job(tmp_path, config):
    import json

    cfg = tmp_path / "cameras.json"
    config["storage_path"] = str(tmp_path / "rec")
    (tmp_path / "rec").mkdir()
    cfg.write_text(json.dumps(config))
    result = subprocess.run(
        ["python3", str(SCRIPT), "retention", "--config", str(cfg)], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "retention: 0 segment(s)" in result.stderr


def test_retention_goes_by_the_recording_time_in_the_name_not_the_mtime(tmp_path, config):
    # Recorded 2027-01-13 10:00 (46 h ago) but copied back an hour ago: cam2 keeps 1 day.
    restored = make(tmp_path, "cam2", "2027-01-13", "cam2_20270113T100000Z.ts", 3600)
    # Recorded 2027-01-15 07:00 (1 h ago) with an old mtime: kept.
    recent = make(tmp_path, "cam2", "2027-01-15", "cam2_20270115T070000Z.ts", 5 * DAY)
    assert hk.retention(config, NOW) == [restored]
    assert recent.exists()


def test_retention_rewrites_manifests_and_removes_derived_files(tmp_path, config):
    old = make(tmp_path, "cam2", "2027-01-14", "cam2_20270114T060000Z.ts", 0)
    young = make(tmp_path, "cam2", "2027-01-14", "cam2_20270114T090000Z.ts", 0)
    sums = old.parent / "SHA256SUMS"
    sums.write_text(f"{'a' * 64}  {old.name}\n{'b' * 64}  {young.name}\n")
    hk.retention(config, NOW)  # 08:00 on the 15th: 06:00 on the 14th is past 1 day
    assert not old.exists() and young.exists()
    assert sums.read_text() == f"{'b' * 64}  {young.name}\n"
    # The whole day past retention: the export derived from it goes with it.
    export = make(tmp_path, "cam2", "2027-01-13", "export.mp4", 0)
    old_sums = export.parent / "SHA256SUMS"
    old_sums.write_text(f"{'c' * 64}  cam2_20270113T100000Z.ts\n")
    removed = hk.retention(config, NOW)
    assert export in removed and not export.parent.exists()


def test_mask_check_reports_black_and_leaking_cameras(tmp_path, config):
    square = [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
    config["cameras"] = [
        {"id": "black", "retention_days": 7, "privacy_masks": [square]},
        {"id": "leak", "retention_days": 7, "privacy_masks": [square]},
        {"id": "nomask", "retention_days": 7},
    ]
    config["mask_state_path"] = str(tmp_path / "state.json")
    for cam in ("black", "leak", "nomask"):
        make(tmp_path, cam, "2027-01-15", f"{cam}_20270115T075000Z.ts", 60)
    masked = bytearray([180] * 64)
    for y in range(4):
        masked[y * 8 : y * 8 + 4] = b"\x03" * 4

    def grab(path):
        return 8, 8, [bytes(masked) if "black" in path.name else bytes([180] * 64)]

    leaks = hk.masks(config, NOW, grab=grab)
    assert [p.name for p in leaks] == ["leak_20270115T075000Z.ts"]
    import json

    state = json.loads((tmp_path / "state.json").read_text())
    assert set(state) == {"black", "leak"}
    assert state["black"]["leak"] is False and state["black"]["max_gray"] == 3
    assert state["leak"]["leak"] is True and state["leak"]["max_gray"] == 180


def test_mask_check_counts_an_undecodable_segment_as_a_leak(tmp_path, config):
    square = [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
    config["cameras"] = [{"id": "cam1", "retention_days": 7, "privacy_masks": [square]}]
    config["mask_state_path"] = str(tmp_path / "state.json")
    make(tmp_path, "cam1", "2027-01-15", "cam1_20270115T075000Z.ts", 60)
    assert len(hk.masks(config, NOW)) == 1  # random bytes: ffprobe fails
