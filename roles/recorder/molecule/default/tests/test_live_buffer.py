"""The live buffer: each recording camera's short HLS segments, in memory,
served on the segment port to the access gateway's stand-in only.

Real traffic from `vigie-mol-recorder-gateway` (the only reader); what it
downloads is decoded on the recorder (which has ffmpeg). Copied cameras' live
segments are cut at the simulator's own key frames (its GOP, read from a
recorded segment); the masked camera is re-encoded with a key frame every second.
"""

import itertools
import json
import math
import re
import subprocess
import time

import pytest
from test_recorder import (
    MASKS,
    MASKS_PY,
    OPEN_REGION,
    finished_segments,
    recording_ffmpeg,
    wait_for,
)

testinfra_hosts = ["docker://vigie-mol-recorder"]
RECORDER = "vigie-mol-recorder"
READER = "vigie-mol-recorder-gateway"
ADDRESS = "10.231.130.10"
PORT = 8088
LIVE = "/run/vigie-recorder/live"
SEGMENT = re.compile(r"^live[0-9]+\.ts$")
# Runs in the reader: status and headers (JSON) on stderr, the body on stdout.
REQUEST = r"""
import http.client, json, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=5)
conn.request(sys.argv[3], sys.argv[4])
resp = conn.getresponse()
body = resp.read()
print(json.dumps([resp.status, {k.lower(): v for k, v in resp.getheaders()}]), file=sys.stderr)
sys.stdout.buffer.write(body)
"""


def get(path, method="GET"):
    out = subprocess.run(
        ["docker", "exec", READER, "python3", "-c", REQUEST, ADDRESS, str(PORT), method, path],
        capture_output=True,
        timeout=30,
        check=True,
    )
    status, headers = json.loads(out.stderr)
    return status, headers, out.stdout


def playlist(camera):
    """(media sequence, [(duration, uri)], target duration, text) of the camera's playlist."""
    status, headers, body = get(f"/live/{camera}/live.m3u8")
    assert status == 200, (camera, status)
    assert headers["content-type"] == "application/vnd.apple.mpegurl"
    assert headers["cache-control"] == "no-cache"
    text = body.decode()
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    sequence = int(re.search(r"^#EXT-X-MEDIA-SEQUENCE:(\d+)$", text, re.M)[1])
    target = int(re.search(r"^#EXT-X-TARGETDURATION:(\d+)$", text, re.M)[1])
    entries = [
        (float(line.split(":")[1].rstrip(",")), lines[i + 1 + lines[i + 1].startswith("#")])
        for i, line in enumerate(lines)
        if line.startswith("#EXTINF:")
    ]
    return sequence, entries, target, text


@pytest.fixture(scope="module")
def full():
    """Each camera's playlist once it lists a full window (6 segments)."""

    def ready(camera):
        status, _h, body = get(f"/live/{camera}/live.m3u8")
        return status == 200 and body.count(b"#EXTINF") >= 6

    for camera in ("cam1", "masked"):
        assert wait_for(lambda c=camera: ready(c), 60), f"{camera}: no full live playlist"
    return {camera: playlist(camera) for camera in ("cam1", "masked")}


@pytest.mark.parametrize("camera", ["cam1", "masked"])
def test_the_playlist_is_live_relative_and_keeps_six_segments(full, camera):
    _sequence, entries, _target, text = full[camera]
    assert "#EXT-X-ENDLIST" not in text
    assert len(entries) == 6
    assert all(SEGMENT.match(uri) for _d, uri in entries), entries


def camera_gop(host, camera):
    """Seconds between the key frames of a finished recorded segment (copied as sent)."""
    path = finished_segments(host, camera, 1)[-1]
    times = host.check_output(
        "ffprobe -v error -select_streams v:0 -skip_frame nokey -show_entries frame=pts_time "
        f"-of csv=p=0 {path}"
    ).split()
    # A frame's side data may add empty fields: "1.600000,".
    times = [float(t.split(",")[0]) for t in times]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps, times
    return max(gaps)


def test_masked_live_segments_last_one_second_and_copied_ones_the_camera_gop(host, full):
    _s, entries, target, _t = full["masked"]
    assert target == 1
    assert all(0.8 <= d <= 1.2 for d, _u in entries), entries
    # A copied camera's live segment is the first whole GOP reaching one second.
    gop = camera_gop(host, "cam1")
    expected = gop * math.ceil(1 / gop - 0.01)
    _s, entries, target, _t = full["cam1"]
    print(f"cam1: key frame every {gop:.2f} s, live segments {[d for d, _u in entries]}")
    durations = sorted(d for d, _u in entries)
    # Typical segment: one GOP. Under load the simulator may send a key frame a
    # few frames late, so a segment may run longer, yet never by half a GOP:
    # that would mean a key frame was skipped instead of cut at.
    assert abs(durations[len(durations) // 2] - expected) <= 0.25, (gop, entries)
    # ffmpeg cuts at the first key frame past one second: never shorter.
    assert all(0.9 <= d < expected + gop / 2 for d in durations), (gop, entries)


def test_the_playlist_moves_on_within_two_seconds(full):
    first, _e, _t, _x = playlist("masked")
    started = time.monotonic()
    assert wait_for(lambda: playlist("masked")[0] > first, 2.5, step=0.1)
    print(f"masked: new media sequence after {time.monotonic() - started:.2f} s")
    # Old segments are deleted: the folder holds the window and little more.
    on_disk = subprocess.run(
        ["docker", "exec", RECORDER, "ls", f"{LIVE}/masked"], capture_output=True, text=True
    ).stdout.split()
    assert 6 <= len([n for n in on_disk if SEGMENT.match(n)]) <= 8, on_disk


def fetch_segment(camera, host):
    """The newest listed segment as the reader gets it, copied to the recorder."""
    _s, entries, _t, _x = playlist(camera)
    status, headers, body = get(f"/live/{camera}/{entries[-1][1]}")
    assert status == 200 and headers["content-type"] == "video/mp2t"
    assert headers["cache-control"] == "max-age=6"
    path = f"/tmp/live-{camera}.ts"
    subprocess.run(
        ["docker", "exec", "-i", RECORDER, "sh", "-c", f"cat > {path}"], input=body, check=True
    )
    return path, entries[-1][0]


def test_a_live_segment_is_h264_and_lasts_what_the_playlist_says(host, full):
    path, duration = fetch_segment("masked", host)
    probe = json.loads(
        host.check_output(
            "ffprobe -v error -select_streams v:0 -count_frames -show_entries "
            f"stream=codec_name,width,height,nb_read_frames -of json {path}"
        )
    )["streams"][0]
    assert (probe["codec_name"], probe["width"], probe["height"]) == ("h264", 640, 360)
    # 5 frames/s: a one-second segment holds 5 frames.
    assert abs(int(probe["nb_read_frames"]) - 5 * duration) <= 1, probe


def test_masked_regions_are_black_in_the_live_buffer_too(host, full):
    path, _d = fetch_segment("masked", host)
    masked = json.loads(host.check_output(f"python3 -c '{MASKS_PY}' {path} '{json.dumps(MASKS)}'"))
    assert masked["frames"] >= 4 and masked["inside_max"] <= 24, masked
    # The same check finds footage where there is no mask (it can fail).
    shown = json.loads(
        host.check_output(f"python3 -c '{MASKS_PY}' {path} '{json.dumps(OPEN_REGION)}'")
    )
    assert shown["inside_max"] > 100


def test_one_input_one_encoding_two_outputs(host):
    by_camera = {}

    def one_each():
        by_camera.update({c: recording_ffmpeg(host, c) for c in ("cam1", "masked")})
        return all(len(found) == 1 for found in by_camera.values())

    assert wait_for(one_each, timeout=30), by_camera
    for camera, (command,) in by_camera.items():
        assert command.count("-i pipe:0") == 1 and "-f tee" in command
        assert f"{LIVE}/{camera}/live.m3u8" in command
    masked = by_camera["masked"][0]
    assert masked.count("libx264") == 1 and "expr:gte(t,n_forced*1)" in masked


def test_the_live_buffer_is_in_memory_and_readable_by_the_server_only(host, full):
    folder = f"{LIVE}/cam1"
    assert host.check_output(f"findmnt -n -o FSTYPE -T {folder}") == "tmpfs"
    assert host.check_output(f"stat -f -c %T {folder}") == "tmpfs"
    stat = host.file(folder)
    assert (stat.user, stat.group, stat.mode) == ("vigie-recorder", "vigie-footage", 0o750)
    playlist_file = host.file(f"{folder}/live.m3u8")
    assert playlist_file.group == "vigie-footage" and playlist_file.mode == 0o640


def test_anything_else_under_live_is_not_found(full):
    mask = "masked.mask.pam"  # in the masked camera's runtime folder, never served
    for path in (
        "/live/",
        "/live/cam1/",
        "/live/nosuchcamera/live.m3u8",
        "/live/nosuchcamera/live1.ts",
        f"/live/masked/{mask}",
        "/live/cam1/live.m3u8.tmp",
        "/live/cam1/live.ts",
        "/live/cam1/other.ts",
        "/live/cam1/live1.ts",  # a name of the right form that is not there
    ):
        status, _h, _b = get(path)
        assert status == 404, (path, status)
    for method in ("PUT", "DELETE", "POST"):
        assert get("/live/cam1/live.m3u8", method)[0] == 403


def test_a_camera_not_recording_has_no_live_view(full):
    # Open all week: its unit runs but does not record, nor fill a live buffer.
    assert get("/live/hours/live.m3u8")[0] == 404


def test_the_live_buffer_goes_with_its_unit(host, full):
    host.check_output("systemctl stop vigie-record@cam2.service")
    try:
        assert not host.file(f"{LIVE}/cam2").exists
        assert get("/live/cam2/live.m3u8")[0] == 404
    finally:
        host.check_output("systemctl start vigie-record@cam2.service")
    assert wait_for(lambda: get("/live/cam2/live.m3u8")[0] == 200, 30)
