"""End to end on the lab: what the recorders enforce, read on disk and on the wire.

- privacy masks: every frame recorded for a masked camera is black inside the
  masks (decoded from the segments on the recorder; the regions are computed
  here from the rectangles, not by the recorder's code);
- recording schedule: with opening hours set around the test's time, no
  segment is written inside them, and recording resumes at closing;
- credentials: no camera password in any process's arguments or environment
  nor in the journal of a recorder (after test_recording.py's camera outage);
  a wrong credential records nothing (the lab's cameras require digest auth).

The lab keeps two cameras per site (inventories/lab/vigie.yml), none of them
masked nor scheduled in the pilot data: the masks and the schedule are set on
two lab cameras' settings files (the recorder role's format), and restored.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import pytest

from lab import secrets
from lab.up import BIN, LAB
from tests.lab.containers import purge_paused, py, segments, sh, total_bytes, wait_for

pytestmark = pytest.mark.docker
SETTINGS = "/etc/vigie/recorder/cameras"
HOUSEKEEPING = "/etc/vigie/recorder/cameras.json"  # the mask check's list
WRONG_PASSWORD = "not-the-password"  # a credential the camera refuses
# Rectangles (x0, y0, x1, y1), relative: the parvis camera's masks.
RECTANGLES = [(0.0, 0.0, 0.42, 0.30), (0.70, 0.05, 1.0, 0.40)]
OPEN_AREA = (0.05, 0.55, 0.95, 0.95)

FRAMES_PY = r"""
import json, subprocess, sys
path, rects = sys.argv[1], json.loads(sys.argv[2])
probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=width,height", "-of", "csv=p=0", path],
                       capture_output=True, text=True, check=True).stdout
w, h = (int(v) for v in probe.split()[0].split(",")[:2])
raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray",
                      "pipe:1"], capture_output=True, check=True).stdout
frames = [raw[i:i + w * h] for i in range(0, len(raw) - w * h + 1, w * h)]
out = []
for x0, y0, x1, y1 in rects:
    # pixels whose centre lies inside the rectangle
    xs = range(max(0, round(x0 * w)), min(w, round(x1 * w)))
    ys = range(max(0, round(y0 * h)), min(h, round(y1 * h)))
    out.append(max(f[y * w + x] for f in frames for y in ys for x in xs))
print(json.dumps({"size": [w, h], "frames": len(frames), "max": out}))
"""


def cameras_of(lab: dict, recorder: str) -> list[dict]:
    return [c for c in lab["cameras"] if c["recorder"] == recorder]


def settings(rec: dict, camera: str) -> dict:
    return json.loads(sh(rec["container"], f"cat {SETTINGS}/{camera}.json"))


def write_file(rec: dict, path: str, text: str) -> None:
    py(rec["container"], "import sys; open(sys.argv[1], 'w').write(sys.argv[2])", path, text)


def write_settings(rec: dict, camera: str, value: dict) -> None:
    write_file(rec, f"{SETTINGS}/{camera}.json", json.dumps(value, indent=2))
    sh(rec["container"], f"systemctl restart vigie-record@{camera}.service")


def window_around_now(tz: str) -> tuple[dt.datetime, dt.datetime, str]:
    """A one-minute opening from the next whole minute at least 45 s away."""
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=105)).replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=1)
    local = [t.astimezone(ZoneInfo(tz)) for t in (start, end)]
    if local[0].date() != local[1].date():  # a window across local midnight: 1 min later
        return window_around_now_after(start + dt.timedelta(minutes=1), tz)
    return start, end, f"Mo-Su {local[0]:%H:%M}-{local[1]:%H:%M}"


def window_around_now_after(start: dt.datetime, tz: str) -> tuple[dt.datetime, dt.datetime, str]:
    end = start + dt.timedelta(minutes=1)
    local = [t.astimezone(ZoneInfo(tz)) for t in (start, end)]
    return start, end, f"Mo-Su {local[0]:%H:%M}-{local[1]:%H:%M}"


@pytest.fixture(scope="module")
def enforced(lab, recorders):
    """One lab camera masked, another scheduled around now; restored afterwards."""
    rec = recorders[0]
    masked_cam, scheduled_cam = (c["id"] for c in cameras_of(lab, rec["name"])[:2])
    original = {c: settings(rec, c) for c in (masked_cam, scheduled_cam)}
    polygons = [[[a, b], [c, b], [c, d], [a, d]] for a, b, c, d in RECTANGLES]
    masked = dict(original[masked_cam], privacy_masks=polygons)
    masked["resolution"] = masked.get("resolution") or "640x360"
    tz = (original[scheduled_cam].get("recording") or {}).get("timezone") or "Europe/Paris"
    start, end, hours = window_around_now(tz)
    scheduled = dict(
        original[scheduled_cam],
        recording={"mode": "outside_opening_hours", "opening_hours": hours, "timezone": tz,
                   "closures": []},
    )  # fmt: skip
    housekeeping = sh(rec["container"], f"cat {HOUSEKEEPING}")
    config = json.loads(housekeeping)
    for cam in config["cameras"]:
        if cam["id"] == masked_cam:
            cam.update(privacy_masks=polygons, resolution=masked["resolution"])
    write_file(rec, HOUSEKEEPING, json.dumps(config, indent=2))
    restarted = time.time()
    write_settings(rec, masked_cam, masked)
    write_settings(rec, scheduled_cam, scheduled)
    try:
        yield {
            "recorder": rec,
            "masked": masked_cam,
            "scheduled": scheduled_cam,
            "restarted": restarted,
            "window": (start, end),
        }
    finally:
        write_file(rec, HOUSEKEEPING, housekeeping)
        for camera, value in original.items():
            write_settings(rec, camera, value)


def finished_since(rec: dict, camera: str, since: float, count: int) -> list[str]:
    """Paths of `count` segments begun after `since` and no longer written."""

    def found():
        segs = segments(rec["container"], rec["storage_path"]).get(camera, [])
        begun = [s for s in segs[:-1] if s[2] > since + 1 and s[1] > 0]
        begun = [s for s in begun if _named(s[0]).timestamp() >= since]
        return [s[0] for s in begun] if len(begun) >= count else None

    paths, _ = wait_for(found, timeout=90, interval=3)
    assert paths, f"no {count} finished segment(s) of {camera} since the change"
    return paths


def _named(path: str) -> dt.datetime:
    stamp = path.rsplit("_", 1)[1].removesuffix(".ts")
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def test_masked_regions_are_black_in_every_recorded_frame(enforced):
    rec, camera = enforced["recorder"], enforced["masked"]
    # The first segment after the restart ends at the next clock boundary (it may
    # last a few seconds); the one after it is whole.
    paths = finished_since(rec, camera, enforced["restarted"], 2)
    frames = []
    for path in paths:
        result = json.loads(py(rec["container"], FRAMES_PY, path, json.dumps(RECTANGLES)))
        print(f"{camera}: {path}: {result}")
        assert result["frames"] >= 1, f"{path}: no frame"
        assert max(result["max"]) <= 24, f"{path}: a masked region shows footage: {result}"
        frames.append(result["frames"])
    assert max(frames) >= 20, frames
    # The same reading finds the footage where nothing is masked (it can fail).
    shown = json.loads(py(rec["container"], FRAMES_PY, paths[-1], json.dumps([OPEN_AREA])))
    assert shown["max"][0] > 100
    # The recorder's own periodic check agrees. It reads the newest *finished*
    # segment (unwritten for settle_seconds): wait until a masked one is, or it
    # would rightly flag the unmasked footage recorded before the masks were set.
    settle = json.loads(sh(rec["container"], f"cat {HOUSEKEEPING}"))["settle_seconds"]
    last = max(s[2] for s in segments(rec["container"], rec["storage_path"])[camera]
               if s[0] in paths)  # fmt: skip
    time.sleep(max(0.0, last + settle + 2 - time.time()))
    check = sh(
        rec["container"],
        "systemctl start vigie-recorder-housekeeping@masks.service; echo rc=$?;"
        " journalctl -u vigie-recorder-housekeeping@masks.service -n 5 --no-pager -o cat",
    )
    assert "rc=0" in check, check
    state = json.loads(sh(rec["container"], "cat /var/lib/vigie-recorder/privacy-masks.json"))
    assert state[camera]["leak"] is False and state[camera]["frames"] >= 1


def test_no_segment_is_written_inside_opening_hours(enforced):
    rec, camera = enforced["recorder"], enforced["scheduled"]
    start, end = enforced["window"]
    wait = (end - dt.datetime.now(dt.UTC)).total_seconds()
    time.sleep(max(0.0, wait))

    def resumed():
        segs = segments(rec["container"], rec["storage_path"]).get(camera, [])
        return [s for s in segs if _named(s[0]) >= end and s[1] > 0]

    after, waited = wait_for(resumed, timeout=30, interval=1)
    assert after, f"{camera}: recording did not resume after closing"
    print(f"{camera}: recording resumed {waited:.0f} s after closing")
    segs = segments(rec["container"], rec["storage_path"]).get(camera, [])
    for path, _size, mtime in segs:
        named = _named(path)
        assert not start <= named < end, f"{path} was begun inside opening hours"
        if named < start:
            written = dt.datetime.fromtimestamp(mtime, dt.UTC)
            assert written < start + dt.timedelta(seconds=3), f"{path} written at {written}"
    journal = sh(rec["container"], f"journalctl -u vigie-record@{camera} --no-pager -o cat")
    assert "opening hours: recording paused" in journal


def passwords(lab: dict) -> list[str]:
    values = secrets.load_secrets(LAB, BIN)
    creds = values["vigie_camera_credentials"]
    found = [c["password"] if isinstance(c, dict) else c.split(":", 1)[1] for c in creds.values()]
    assert found and all(len(p) >= 12 for p in found)
    return found


def test_a_wrong_credential_records_nothing(lab, recorders):
    rec = recorders[-1]
    camera = cameras_of(lab, rec["name"])[-1]["id"]
    path = f"/etc/vigie/recorder/credentials/{camera}.json"
    original = sh(rec["container"], f"cat {path}")
    wrong = dict(json.loads(original), password=WRONG_PASSWORD)
    py(
        rec["container"],
        "import sys; open(sys.argv[1], 'w').write(sys.argv[2])",
        path,
        json.dumps(wrong),
    )
    try:
        sh(rec["container"], f"systemctl restart vigie-record@{camera}.service")
        time.sleep(4)
        # The emergency purge may delete old segments meanwhile (the lab's small
        # disk sits at its threshold): paused, so the byte total shows writes only.
        with purge_paused(rec["container"]):
            before = total_bytes(rec["container"], rec["storage_path"], camera)
            time.sleep(10)
            assert total_bytes(rec["container"], rec["storage_path"], camera) == before
        journal = sh(
            rec["container"], f"journalctl -u vigie-record@{camera} --no-pager -n 30 -o cat"
        )
        assert "Unauthorized" in journal
    finally:
        py(
            rec["container"],
            "import sys; open(sys.argv[1], 'w').write(sys.argv[2])",
            path,
            original,
        )
        sh(rec["container"], f"systemctl restart vigie-record@{camera}.service")
        restored = float(sh(rec["container"], "date +%s.%N"))

    def written_since_restore():
        segs = segments(rec["container"], rec["storage_path"]).get(camera, [])
        return [s for s in segs if s[2] > restored and s[1] > 0]

    # A segment written after the right credential came back (a byte total
    # could be offset by housekeeping removing an old segment meanwhile).
    grew, waited = wait_for(written_since_restore, 45, 1)
    journal = sh(rec["container"], f"journalctl -u vigie-record@{camera} --no-pager -n 20 -o cat")
    assert grew, f"{camera}: no recording with the right credential back:\n{journal}"
    print(f"{camera}: recording back {waited:.0f} s after the right credential")


def test_no_camera_password_in_processes_or_journals(lab, recorders):
    secret_values = [*passwords(lab), WRONG_PASSWORD]
    for rec in recorders:
        args = sh(rec["container"], "ps -eo args")
        assert "vigie-record" in args
        environ = sh(
            rec["container"], "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'", check=False
        )
        journal = sh(rec["container"], "journalctl --no-pager -o cat")
        # The wrong credential above was refused: its failure is in this journal,
        # so the check reads what a leaking error message would have printed.
        if rec is recorders[-1]:
            assert "Unauthorized" in journal
        for secret in secret_values:
            assert secret not in args, f"{rec['name']}: a password in a command line"
            assert secret not in environ, f"{rec['name']}: a password in an environment"
            assert secret not in journal, f"{rec['name']}: a password in the journal"
