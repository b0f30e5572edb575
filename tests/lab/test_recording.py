"""End to end on the lab: the recorders record every camera, survive a camera
dropping out, enforce retention and never stop on a nearly full disk."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from lab import docker_cli
from lab.up import route
from tests.lab.containers import purge_paused, py, segments, sh, total_bytes, wait_for
from tests.shared import rtsp_probe

pytestmark = pytest.mark.docker


def cameras_of(lab: dict, recorder: str) -> list[dict]:
    return [c for c in lab["cameras"] if c["recorder"] == recorder]


def test_every_camera_gets_segments_that_grow(lab, recorders):
    before = {}
    for rec in recorders:
        found = segments(rec["container"], rec["storage_path"])
        for cam in cameras_of(lab, rec["name"]):
            assert found.get(cam["id"]), f"no segment for {cam['id']} on {rec['name']}"
            before[cam["id"]] = sum(s[1] for s in found[cam["id"]])

    def all_grew():
        now = {}
        for rec in recorders:
            for cam in cameras_of(lab, rec["name"]):
                now[cam["id"]] = total_bytes(rec["container"], rec["storage_path"], cam["id"])
        return all(now[c] > before[c] for c in before)

    grew, _ = wait_for(all_grew, timeout=20, interval=2)
    assert grew, "some camera's segments did not grow within 20 s"


def test_recording_resumes_within_10_s_when_a_camera_comes_back(lab, recorders):
    rec = recorders[0]
    cam = cameras_of(lab, rec["name"])[0]
    gateway = next(
        h for h in lab["hosts"].values() if h["kind"] == "gateway" and h["site"] == cam["site"]
    )
    docker_cli.docker("stop", "-t", "1", cam["container"])
    try:
        time.sleep(5)  # long enough for ffmpeg to notice the stream is gone
        stalled = total_bytes(rec["container"], rec["storage_path"], cam["id"])
        time.sleep(2)
        assert total_bytes(rec["container"], rec["storage_path"], cam["id"]) == stalled
    finally:
        docker_cli.docker("start", cam["container"])
        route(cam["container"], "default", gateway["addresses"]["cameras"])
    serving, _ = wait_for(lambda: rtsp_probe.serves(cam["container"]), timeout=30, interval=0.1)
    assert serving, f"{cam['container']}: the simulator does not serve RTSP again"
    resumed, waited = wait_for(
        lambda: total_bytes(rec["container"], rec["storage_path"], cam["id"]) > stalled,
        timeout=10,
        interval=0.5,
    )
    print(f"recording of {cam['id']} resumed {waited:.1f} s after the camera served again")
    assert resumed, f"{cam['id']}: no new bytes within 10 s of the camera serving again"


def test_the_retention_timer_purges_segments_older_than_retention(lab, recorders):
    """By recording time (the UTC time in the segment's name), not by mtime: the
    expired segment has a fresh mtime, the one within retention an old one."""
    rec = recorders[0]
    cam = cameras_of(lab, rec["name"])[0]
    days = next(c for c in recorder_config(rec)["cameras"] if c["id"] == cam["id"])[
        "retention_days"
    ]
    now = dt.datetime.now(dt.UTC)
    old_at, young_at = now - dt.timedelta(days=days + 1), now - dt.timedelta(days=days - 1)
    old_dir = f"{rec['storage_path']}/{cam['id']}/{old_at:%Y-%m-%d}"
    young_dir = f"{rec['storage_path']}/{cam['id']}/{young_at:%Y-%m-%d}"
    old = f"{old_dir}/{cam['id']}_{old_at:%Y%m%dT%H%M%SZ}.ts"
    young = f"{young_dir}/{cam['id']}_{young_at:%Y%m%dT%H%M%SZ}.ts"
    # The lab's small recording disk sits at the purge threshold once it has
    # recorded a few minutes, and the emergency purge deletes the oldest
    # recording first: the segment within retention, recorded days ago, would
    # be its first pick. The purge is paused so that only retention acts.
    with purge_paused(rec["container"]):
        sh(
            rec["container"],
            f"mkdir -p {old_dir} {young_dir} && head -c 4096 /dev/urandom > {old}"
            f" && cp {old} {young} && touch -d '-{days + 5} days' {young}"
            # owned like real segments, by the recorder's account
            f" && chown -R --reference={rec['storage_path']}/{cam['id']} {old_dir} {young_dir}",
        )
        timer = "vigie-recorder-housekeeping@retention.timer"
        assert sh(rec["container"], f"systemctl is-active {timer}").strip() == "active"
        unit = sh(rec["container"], f"systemctl show -P Triggers {timer}").strip()
        # What the timer fires, fired now rather than waiting for its next elapse.
        sh(rec["container"], f"systemctl start {unit}")
        assert sh(rec["container"], f"test -e {old} && echo kept || echo gone").strip() == "gone"
        assert sh(rec["container"], f"test -e {young} && echo kept || echo gone").strip() == "kept"
        sh(rec["container"], f"rm -f {young}")


def recorder_config(rec: dict) -> dict:
    """The recorder's housekeeping configuration, as the role wrote it on the host."""
    return json.loads(sh(rec["container"], "cat /etc/vigie/recorder/cameras.json"))


STATVFS_PY = r"""
import os, sys
st = os.statvfs(sys.argv[1])
print(st.f_blocks * st.f_frsize, (st.f_blocks - st.f_bavail) * st.f_frsize)
"""


def disk(rec: dict) -> tuple[int, int]:
    total, used = map(int, py(rec["container"], STATVFS_PY, rec["storage_path"]).split())
    return total, used


def test_emergency_purge_keeps_recording_on_a_nearly_full_disk(lab, recorders):
    rec = recorders[-1]
    config = recorder_config(rec)
    threshold = config["purge_threshold_percent"]
    total, used = disk(rec)
    before = segments(rec["container"], rec["storage_path"])
    oldest = min((s for segs in before.values() for s in segs), key=lambda s: s[2])[0]
    filler = f"{rec['storage_path']}/.lab-filler"
    # The lab's small disk may already be past the threshold (it fills between two
    # purges): then nothing is added, and the purge must still bring it back.
    fill = max(int(total * (threshold + 3) / 100) - used, 0)
    sh(rec["container"], f"head -c {fill} /dev/zero > {filler}")
    try:
        # Past the threshold once written (the purge timer may already be at
        # work, so the disk is not read back here: the purge's effect is).
        assert int(sh(rec["container"], f"stat -c %s {filler}")) == fill
        assert (used + fill) * 100 / total > threshold

        def purged():
            now = segments(rec["container"], rec["storage_path"])
            gone = oldest not in [s[0] for segs in now.values() for s in segs]
            return gone and disk(rec)[1] * 100 / total <= threshold

        done, waited = wait_for(purged, timeout=60, interval=2)
        assert done, f"no purge back under {threshold} % within 60 s (oldest: {oldest})"
        print(f"emergency purge back under {threshold} % {waited:.0f} s after the disk passed it")
        cams = [c["id"] for c in cameras_of(lab, rec["name"])]
        sizes = {c: total_bytes(rec["container"], rec["storage_path"], c) for c in cams}
        grew, _ = wait_for(
            lambda: all(
                total_bytes(rec["container"], rec["storage_path"], c) > b for c, b in sizes.items()
            ),
            timeout=20,
            interval=2,
        )
        assert grew, "recording stopped on the nearly full disk"
        for c in cams:
            state = sh(
                rec["container"], f"systemctl is-active vigie-record@{c}.service", check=False
            ).strip()
            assert state == "active", f"vigie-record@{c} is {state}"
    finally:
        sh(rec["container"], f"rm -f {filler}")
