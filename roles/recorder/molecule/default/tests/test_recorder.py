"""The recorder role against a real RTSP camera (lab/camera_sim, real footage,
digest authentication required)."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "tests" / "shared"))
import rtsp_probe

testinfra_hosts = ["docker://vigie-mol-recorder"]
CAMERA_CONTAINER = "vigie-mol-recorder-cam"
STORAGE = "/srv/vigie/recordings"
LIB = "/usr/local/lib/vigie-recorder"
NAME = re.compile(r"^[a-z0-9-]+_\d{8}T\d{6}Z\.ts$")
RECORDING = ["cam1", "cam2", "masked", "closed"]
NOT_RECORDING = ["hours", "nocred", "badcred"]
MASKS_PY = r"""
import json, subprocess, sys
sys.path.insert(0, "/usr/local/lib/vigie-recorder")
import vigie_masks
path, polygons = sys.argv[1], json.loads(sys.argv[2])
w, h, frames = 640, 360, []
raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray",
                      "pipe:1"], capture_output=True, check=True).stdout
frames = [raw[i:i + w * h] for i in range(0, len(raw) - w * h + 1, w * h)]
inside = [max(vigie_masks.masked_pixels(f, polygons, w, h)) for f in frames]
print(json.dumps({"frames": len(frames), "inside_max": max(inside)}))
"""
MASKS = [
    [[0.0, 0.0], [0.42, 0.0], [0.42, 0.30], [0.0, 0.30]],
    [[0.70, 0.05], [1.0, 0.05], [1.0, 0.40], [0.5, 0.40]],
]
OPEN_REGION = [[[0.05, 0.5], [0.95, 0.5], [0.95, 0.95], [0.05, 0.95]]]


def segment_files(host, camera):
    out = host.check_output(
        f"find {STORAGE}/{camera} -name '*.ts' -printf '%T@ %s %p\\n' 2>/dev/null | sort -n || true"
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


def finished_segments(host, camera, count):
    wait_for(lambda: len(segment_files(host, camera)) >= count + 1, 40)
    return [path for _, size, path in segment_files(host, camera)[:-1] if size > 0]


def password(host):
    return json.loads(host.file("/etc/vigie/recorder/credentials/cam1.json").content_string)[
        "password"
    ]


@pytest.mark.parametrize("camera", RECORDING + NOT_RECORDING)
def test_each_camera_has_its_running_unit(host, camera):
    unit = host.service(f"vigie-record@{camera}")
    assert unit.is_running and unit.is_enabled


@pytest.mark.parametrize("camera", RECORDING)
def test_segments_appear_grow_and_are_filed_per_day(host, camera):
    assert wait_for(lambda: len(segment_files(host, camera)) >= 2, 40)
    before = bytes_recorded(host, camera)
    assert wait_for(lambda: bytes_recorded(host, camera) > before, 10)
    days = host.check_output("TZ=UTC date +%F; TZ=UTC date -d yesterday +%F").split()
    for _, _, path in segment_files(host, camera):
        folder, name = os.path.split(path)
        assert folder in {f"{STORAGE}/{camera}/{day}" for day in days}
        assert NAME.match(name) and name.startswith(camera + "_")


def test_finished_segment_is_real_video(host):
    # A finished segment (not the one being written) with data.
    oldest = finished_segments(host, "cam1", 2)[-1]
    probe = host.check_output(
        "ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height "
        f"-of csv=p=0 {oldest}"
    )
    assert "h264,640,360" in probe.split()


def recording_ffmpeg(host, camera):
    """The ffmpeg commands started by the camera's own unit (children of its main
    process), not every ffmpeg that happens to name the camera's folder: the
    housekeeping's checks run ffmpeg on the same segments."""
    pid = host.check_output(f"systemctl show -p MainPID --value vigie-record@{camera}.service")
    if pid in ("", "0"):
        return []
    children = host.check_output(f"ps -o args= --ppid {pid} || true").splitlines()
    return [args for args in children if args.startswith("ffmpeg ")]


def test_unmasked_cameras_are_copied_and_masked_ones_reencoded(host):
    # A camera between two attempts has no ffmpeg for an instant: wait for one each.
    by_camera = {}

    def one_each():
        by_camera.update({c: recording_ffmpeg(host, c) for c in RECORDING})
        return all(len(found) == 1 for found in by_camera.values())

    assert wait_for(one_each, timeout=30), by_camera
    for camera, (command,) in by_camera.items():
        assert f"{STORAGE}/{camera}/" in command
        masked = "libx264" in command and "overlay" in command
        assert masked == (camera == "masked") and ("-c copy" in command) != masked


def test_masked_regions_are_black_in_every_recorded_frame(host):
    segments = finished_segments(host, "masked", 2)
    for path in segments[-2:]:
        masked = json.loads(
            host.check_output(f"python3 -c '{MASKS_PY}' {path} '{json.dumps(MASKS)}'")
        )
        # 4-s segments at 5 fps: every frame of the segment is read.
        assert masked["frames"] >= 10 and masked["inside_max"] <= 24, (path, masked)
    # The same check finds footage where there is no mask (it can fail).
    shown = json.loads(
        host.check_output(f"python3 -c '{MASKS_PY}' {segments[-1]} '{json.dumps(OPEN_REGION)}'")
    )
    assert shown["inside_max"] > 100


def test_the_periodic_mask_check_passes_then_alarms_on_an_unmasked_segment(host):
    finished_segments(host, "masked", 1)
    assert host.service("vigie-recorder-housekeeping@masks.timer").is_running
    host.check_output("systemctl start vigie-recorder-housekeeping@masks.service")
    state = json.loads(host.file("/var/lib/vigie-recorder/privacy-masks.json").content_string)
    assert list(state) == ["masked"]
    assert state["masked"]["leak"] is False and state["masked"]["frames"] == 3

    # An unmasked segment (cam1's) filed as the masked camera's newest one.
    source = finished_segments(host, "cam1", 1)[-1]
    today = host.check_output("TZ=UTC date +%F")
    fake = f"{STORAGE}/masked/{today}/masked_29991231T000000Z.ts"
    host.check_output(f"cp {source} {fake} && touch -d '-1 min' {fake}")
    try:
        run = host.run("systemctl start vigie-recorder-housekeeping@masks.service")
        assert run.rc != 0, "a leaking segment must fail the check"
        state = json.loads(host.file("/var/lib/vigie-recorder/privacy-masks.json").content_string)
        assert state["masked"]["leak"] is True and state["masked"]["segment"] == os.path.basename(
            fake
        )
        journal = host.check_output(
            "journalctl -u vigie-recorder-housekeeping@masks.service -n 20 --no-pager"
        )
        assert "PRIVACY-MASK-LEAK: masked" in journal
    finally:
        host.run(f"rm -f {fake}")
        host.run("systemctl reset-failed vigie-recorder-housekeeping@masks.service")


def test_cameras_without_a_valid_credential_record_nothing(host):
    for camera in ("nocred", "badcred"):
        assert segment_files(host, camera) == []
        journal = host.check_output(f"journalctl -u vigie-record@{camera} --no-pager -n 50")
        assert "Unauthorized" in journal, journal
        # Asked again once a minute, not at the failing-camera backoff (2 s).
        run = host.check_output(f"systemctl show -p InvocationID --value vigie-record@{camera}")
        journal = host.check_output(f"journalctl _SYSTEMD_INVOCATION_ID={run} --no-pager -o cat")
        assert "the camera refused the credential after 0 s" in journal, journal
        assert "retrying in 60 s" in journal and "retrying in 2 s" not in journal, journal


def test_credentials_only_in_root_only_files(host):
    for camera in ("cam1", "cam2"):
        cred = host.file(f"/etc/vigie/recorder/credentials/{camera}.json")
        assert cred.user == "root" and cred.mode == 0o600
        assert json.loads(cred.content_string) == {
            "username": "recorder",
            "password": password(host),
        }
    assert host.file("/etc/vigie/recorder/credentials").mode == 0o700
    assert json.loads(host.file("/etc/vigie/recorder/credentials/nocred.json").content_string) == {}
    secret = password(host)
    assert re.fullmatch(r"[A-Za-z0-9]{20}", secret)
    for path in (
        "/etc/vigie/recorder/cameras.json",
        "/etc/vigie/recorder/cameras/cam1.json",
        "/etc/systemd/system/vigie-record@.service",
        "/etc/vigie/recorder/recorder.env",
    ):
        assert secret not in host.file(path).content_string


def test_files_of_cameras_no_longer_assigned_are_removed(host):
    for path in ("cameras/gone.env", "cameras/gone.json", "credentials/gone.json"):
        assert not host.file(f"/etc/vigie/recorder/{path}").exists


def test_recording_resumes_within_10_s_after_the_camera_comes_back(host):
    """Back = serving RTSP again (the container's own start-up is not the
    recorder's to shorten); the camera is away long enough for failed attempts."""
    subprocess.run(["docker", "stop", "-t", "1", CAMERA_CONTAINER], check=True, capture_output=True)
    time.sleep(8)
    subprocess.run(["docker", "start", CAMERA_CONTAINER], check=True, capture_output=True)
    serving = wait_for(lambda: rtsp_probe.serves(CAMERA_CONTAINER), 30, step=0.1)
    assert serving, "the camera simulator does not serve again"
    back = time.monotonic()
    size = bytes_recorded(host, "cam1")
    assert wait_for(lambda: bytes_recorded(host, "cam1") > size, 10, step=0.25), (
        "no new bytes recorded within 10 s of the camera's return"
    )
    print(f"recording resumed {time.monotonic() - back:.1f} s after the camera served again")
    assert host.service("vigie-record@cam1").is_running


def test_no_password_in_any_process_arguments_environment_or_the_journal(host):
    """After the outage above (and the failing cameras' retries)."""
    secret = password(host)
    assert secret not in host.check_output("ps -eo args")
    environ = host.check_output("cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' || true")
    assert secret not in environ
    journal = host.check_output("journalctl --no-pager -o cat")
    assert "retrying in" in journal  # the outage, and the failing cameras
    assert secret not in journal
    assert "recorder:" not in host.check_output("ps -eo args")


def test_a_camera_recorded_outside_opening_hours_only(host):
    # Open all week: never recorded; its unit waits.
    assert segment_files(host, "hours") == []
    journal = host.check_output("journalctl -u vigie-record@hours --no-pager -o cat")
    assert "inside opening hours, not recording" in journal
    # Same hours but the site is closed today: recorded (checked above).
    assert segment_files(host, "closed")


def test_recording_stops_at_opening_and_resumes_at_closing(host):
    """Opening hours set around the test's time: a one-minute window from the
    next whole minute; no segment is written inside it."""
    settings = "/etc/vigie/recorder/cameras/hours.json"
    original = host.file(settings).content_string
    now = dt.datetime.now(dt.UTC)
    start = (now + dt.timedelta(seconds=75)).replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=1)
    config = json.loads(original)
    config["recording"] = {
        "mode": "outside_opening_hours",
        "opening_hours": f"Mo-Su {start:%H:%M}-{end:%H:%M}",
        "timezone": "UTC",
        "closures": [],
    }
    host.check_output(f"echo '{json.dumps(config)}' > {settings}")
    try:
        host.check_output("systemctl restart vigie-record@hours.service")
        assert wait_for(lambda: len(segment_files(host, "hours")) >= 2, 30), "closed: records"
        time.sleep(max(0.0, (end - dt.datetime.now(dt.UTC)).total_seconds()))
        assert wait_for(
            lambda: any(
                p.rsplit("_", 1)[1] >= f"{end:%Y%m%dT%H%M%S}"
                for _, s, p in segment_files(host, "hours")
            ),
            15,
        ), "no segment after closing"
        for mtime, _, path in segment_files(host, "hours"):
            written = dt.datetime.fromtimestamp(mtime, dt.UTC)
            named = dt.datetime.strptime(path.rsplit("_", 1)[1], "%Y%m%dT%H%M%SZ.ts").replace(
                tzinfo=dt.UTC
            )
            assert not start <= named < end, f"{path} was started inside opening hours"
            # The last segment before opening is closed within 2 s of it.
            if named < start:
                assert written < start + dt.timedelta(seconds=2), f"{path} written at {written}"
    finally:
        host.check_output(f"cat > {settings} <<'EOF'\n{original}\nEOF")
        host.check_output("systemctl restart vigie-record@hours.service")


def test_timers_are_scheduled(host):
    for job in ("retention", "purge", "manifest", "masks"):
        assert host.service(f"vigie-recorder-housekeeping@{job}.timer").is_running


def ago(host, days, fmt):
    return host.check_output(f"TZ=UTC date -d '{days} days ago' +{fmt}")


def test_retention_goes_by_recording_time_not_file_time(host):
    two_days = ago(host, 2, "%F")
    name = ago(host, 2, "%Y%m%dT%H%M%SZ")
    old2 = f"{STORAGE}/cam2/{two_days}/cam2_{name}.ts"
    old1 = f"{STORAGE}/cam1/{two_days}/cam1_{name}.ts"
    # cam2 keeps 1 day: its 2-day-old footage goes although its file is new;
    # cam1 keeps 7 days: its 2-day-old footage stays although its file is old.
    host.check_output(
        f"install -d {STORAGE}/cam2/{two_days} {STORAGE}/cam1/{two_days}"
        f" && head -c 1000 /dev/urandom > {old2} && head -c 1000 /dev/urandom > {old1}"
        f" && touch -d '30 days ago' {old1}"
        f" && echo '{'a' * 64}  {os.path.basename(old2)}' > {STORAGE}/cam2/{two_days}/SHA256SUMS"
        f" && chown -R vigie-recorder: {STORAGE}"
    )
    host.check_output("systemctl start vigie-recorder-housekeeping@retention.service")
    assert not host.file(old2).exists
    assert not host.file(f"{STORAGE}/cam2/{two_days}").exists, "manifest and folder go too"
    assert host.file(old1).exists
    tomorrow = host.check_output("TZ=UTC date -d tomorrow +%F")
    assert host.file(f"{STORAGE}/cam2/{tomorrow}").is_directory
    assert host.service("vigie-record@cam2").is_running
    host.run(f"rm -rf {STORAGE}/cam1/{two_days}")


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
    day = ago(host, 2, "%F")
    stamp = ago(host, 2, "%Y%m%d")
    host.check_output(f"install -d -o vigie-recorder -g vigie-recorder {STORAGE}/cam1/{day}")
    fakes = [f"{STORAGE}/cam1/{day}/cam1_{stamp}T0{i}0000Z.ts" for i in range(4)]
    for i, path in enumerate(fakes):
        host.check_output(
            f"head -c 2M /dev/urandom > {path} && touch -d '2 days ago + {i} hours' {path}"
        )
    total, used = (
        int(v) for v in host.check_output(f"df -B1 --output=size,used {STORAGE} | tail -1").split()
    )
    filler = int(total * 0.93) - used
    assert filler > 0, f"the recordings already fill {used / total:.0%} of the disk"
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
