"""The recorder role against a real RTSP camera (lab/camera_sim, real footage)."""

import os
import re
import subprocess
import time

import pytest

testinfra_hosts = ["docker://vigie-mol-recorder"]
CAMERA_CONTAINER = "vigie-mol-recorder-cam"
STORAGE = "/srv/vigie/recordings"
NAME = re.compile(r"^cam[12]_\d{8}T\d{6}Z\.ts$")


def segment_files(host, camera):
    out = host.check_output(
        f"find {STORAGE}/{camera} -name '*.ts' -printf '%T@ %s %p\\n' | sort -n"
    )
    return [(float(t), int(s), p) for t, s, p in (line.split() for line in out.splitlines())]


def wait_for(predicate, timeout, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def bytes_recorded(host, camera):
    return sum(size for _, size, _ in segment_files(host, camera))


@pytest.mark.parametrize("camera", ["cam1", "cam2"])
def test_each_camera_has_its_running_unit(host, camera):
    unit = host.service(f"vigie-record@{camera}")
    assert unit.is_running and unit.is_enabled


@pytest.mark.parametrize("camera", ["cam1", "cam2"])
def test_segments_appear_grow_and_are_filed_per_day(host, camera):
    assert wait_for(lambda: len(segment_files(host, camera)) >= 2, 30)
    before = bytes_recorded(host, camera)
    assert wait_for(lambda: bytes_recorded(host, camera) > before, 10)
    days = host.check_output("TZ=UTC date +%F; TZ=UTC date -d yesterday +%F").split()
    for _, _, path in segment_files(host, camera):
        folder, name = os.path.split(path)
        assert folder in {f"{STORAGE}/{camera}/{day}" for day in days}
        assert NAME.match(name) and name.startswith(camera)


def test_finished_segment_is_real_video(host):
    wait_for(lambda: len(segment_files(host, "cam1")) >= 3, 30)
    # A finished segment (not the one being written) with data: a recording
    # restarted by the converge's handler may leave an empty first file.
    finished = [path for _, size, path in segment_files(host, "cam1")[:-1] if size > 0]
    oldest = finished[-1]
    probe = host.check_output(
        "ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height "
        f"-of csv=p=0 {oldest}"
    )
    assert "h264,640,360" in probe.split()


def test_credentials_only_in_a_root_only_file(host):
    env = host.file("/etc/vigie/recorder/cameras/cam1.env")
    assert env.user == "root" and env.mode == 0o600
    assert re.search(
        r"^VIGIE_RTSP_URL=rtsp://recorder:[A-Za-z0-9]{20}@10\.231\.130\.20:554/stream$",
        env.content_string,
        re.M,
    )
    password = env.content_string.split("recorder:")[1].split("@")[0]
    for path in (
        "/etc/vigie/recorder/cameras.json",
        "/etc/systemd/system/vigie-record@.service",
        "/etc/vigie/recorder/recorder.env",
    ):
        assert password not in host.file(path).content_string
    assert "@" not in host.file("/etc/vigie/recorder/cameras/cam2.env").content_string


def test_files_of_cameras_no_longer_assigned_are_removed(host):
    assert not host.file("/etc/vigie/recorder/cameras/gone.env").exists


def test_recording_resumes_within_10_s_after_the_camera_comes_back(host):
    subprocess.run(["docker", "stop", "-t", "1", CAMERA_CONTAINER], check=True, capture_output=True)
    time.sleep(6)
    subprocess.run(["docker", "start", CAMERA_CONTAINER], check=True, capture_output=True)
    back = time.monotonic()
    size = bytes_recorded(host, "cam1")
    assert wait_for(lambda: bytes_recorded(host, "cam1") > size, 10, step=0.25), (
        "no new bytes recorded within 10 s of the camera's return"
    )
    assert time.monotonic() - back <= 10
    assert host.service("vigie-record@cam1").is_running


def test_timers_are_scheduled(host):
    for job in ("retention", "purge", "manifest"):
        assert host.service(f"vigie-recorder-housekeeping@{job}.timer").is_running


def test_retention_deletes_segments_older_than_the_camera_retention(host):
    old_day = f"{STORAGE}/cam2/2026-11-20"
    host.check_output(
        f"install -d -o vigie-recorder -g vigie-recorder {old_day} && "
        f"touch -d '2 days ago' {old_day}/cam2_20261120T000000Z.ts && "
        f"install -d {STORAGE}/cam1/2026-11-21 && "
        f"touch -d '2 days ago' {STORAGE}/cam1/2026-11-21/cam1_20261121T000000Z.ts && "
        f"chown -R vigie-recorder: {STORAGE}"
    )
    host.check_output("systemctl start vigie-recorder-housekeeping@retention.service")
    # cam2 keeps 1 day: gone, with its emptied day folder; cam1 keeps 7 days: kept.
    assert not host.file(f"{old_day}/cam2_20261120T000000Z.ts").exists
    assert not host.file(old_day).exists
    assert host.file(f"{STORAGE}/cam1/2026-11-21/cam1_20261121T000000Z.ts").exists
    tomorrow = host.check_output("TZ=UTC date -d tomorrow +%F")
    assert host.file(f"{STORAGE}/cam2/{tomorrow}").is_directory
    assert host.service("vigie-record@cam2").is_running


def test_manifest_lists_finished_segments_with_their_sha256(host):
    host.check_output("systemctl start vigie-recorder-housekeeping@manifest.service")
    today = host.check_output("TZ=UTC date +%F")
    sums = host.file(f"{STORAGE}/cam1/{today}/SHA256SUMS")
    assert sums.exists
    listed = [line.split("  ")[1] for line in sums.content_string.splitlines()]
    assert listed and all(NAME.match(name) for name in listed)
    check = host.run(f"cd {STORAGE}/cam1/{today} && sha256sum --strict -c SHA256SUMS")
    assert check.rc == 0, check.stdout + check.stderr
    # the segment being written is not listed yet
    newest = os.path.basename(segment_files(host, "cam1")[-1][2])
    assert newest not in listed


def test_emergency_purge_deletes_oldest_segments_and_recording_goes_on(host):
    day = f"{STORAGE}/cam1/2026-11-22"
    host.check_output(f"install -d -o vigie-recorder -g vigie-recorder {day}")
    fakes = [f"{day}/cam1_20261122T0{i}0000Z.ts" for i in range(4)]
    for i, path in enumerate(fakes):
        host.check_output(
            f"head -c 2M /dev/urandom > {path} && touch -d '2 days ago + {i} hours' {path}"
        )
    total, used = (
        int(v) for v in host.check_output(f"df -B1 --output=size,used {STORAGE} | tail -1").split()
    )
    filler = int(total * 0.93) - used
    host.check_output(f"head -c {filler} /dev/zero > {STORAGE}/filler.bin")
    try:
        host.check_output("systemctl start vigie-recorder-housekeeping@purge.service")
        remaining = [p for p in fakes if host.file(p).exists]
        assert len(remaining) < len(fakes)
        # oldest first: what remains is the newest ones
        assert remaining == fakes[len(fakes) - len(remaining) :]
        used_after = int(host.check_output(f"df --output=pcent {STORAGE} | tail -1").strip(" %"))
        assert used_after <= 86
        size = bytes_recorded(host, "cam1")
        assert wait_for(lambda: bytes_recorded(host, "cam1") > size, 10)
        assert host.service("vigie-record@cam1").is_running
    finally:
        host.run(f"rm -f {STORAGE}/filler.bin")
