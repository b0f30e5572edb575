"""The segment server: the recorder serves its segments read-only to
the access gateway and to nothing else.

Real traffic from two other containers: `vigie-mol-recorder-gateway`
(10.231.130.40, the only reader) and the camera (10.231.130.20, any other host).
The listing is nginx's JSON autoindex of a camera's day folder, what
src/vigie_access/app.py `window()` reads; a downloaded segment must decode.
(Named to run before test_recorder.py, whose last test fills the disk.)
"""

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The HTTP probe and nftables reading shared with the other read-only server's scenario.
sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "molecule" / "shared"))
import http_probe
import nft_input

testinfra_hosts = ["docker://vigie-mol-recorder"]
RECORDER = "vigie-mol-recorder"
READER = "vigie-mol-recorder-gateway"
OTHER = "vigie-mol-recorder-cam"
ADDRESS = "10.231.130.10"
READER_ADDRESS = "10.231.130.40"
PORT = 8088
STORAGE = "/srv/vigie/recordings"
SEGMENT = re.compile(r"^(?P<camera>[a-z0-9-]+)_\d{8}T\d{6}Z\.ts$")


def request(client, method, path, address=ADDRESS):
    """(status or "timeout"/"refused", content type, body) of one request from `client`."""
    return http_probe.request(client, method, path, address, PORT)


def today():
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


def listing(camera, day=None):
    status, ctype, body = request(READER, "GET", f"/{camera}/{day or today()}/")
    assert status == 200, (camera, status)
    assert ctype == "application/json"
    return json.loads(body)


@pytest.fixture(scope="module")
def finished(host):
    """A finished segment of cam1 (one newer exists: it is no longer written)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = sorted(
            e["name"] for e in listing("cam1") if e["type"] == "file" and SEGMENT.match(e["name"])
        )
        if len(names) >= 2:
            return f"/cam1/{today()}/{names[-2]}"
        time.sleep(1)
    pytest.fail("cam1 has no finished segment after 60 s")


def test_the_listing_of_a_day_is_json_with_the_recorded_segments(host, finished):
    day = f"{STORAGE}/cam1/{today()}"
    before = {n for n in host.check_output(f"ls {day}").split() if SEGMENT.match(n)}
    entries = listing("cam1")
    after = {n for n in host.check_output(f"ls {day}").split() if SEGMENT.match(n)}
    # What the gateway keeps (type file, a segment's name) is what the recorder wrote.
    segments = {e["name"] for e in entries if e["type"] == "file" and SEGMENT.match(e["name"])}
    assert len(segments) >= 2
    assert before <= segments <= after
    assert all(SEGMENT.match(n)["camera"] == "cam1" for n in segments)
    # Finished ones (all but the newest, which may be just opened) hold footage.
    assert all(e["size"] > 0 for e in entries if e["name"] in segments - {max(segments)})


def test_a_segment_downloads_whole_and_decodes(host, finished):
    status, ctype, body = request(READER, "GET", finished)
    assert (status, ctype) == (200, "video/mp2t")
    on_disk = host.check_output(f"sha256sum {STORAGE}{finished}").split()[0]
    assert hashlib.sha256(body).hexdigest() == on_disk
    # The downloaded bytes, piped into ffprobe on the recorder (it has ffmpeg).
    probe = subprocess.run(
        [
            "docker", "exec", "-i", RECORDER, "ffprobe", "-v", "error", "-count_frames",
            "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames",
            "-of", "json", "-i", "pipe:0",
        ],
        input=body, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["codec_name"] == "h264"
    assert stream["width"] > 0 and int(stream["nb_read_frames"]) > 0


def test_footage_filed_before_the_server_existed_is_served_too(host):
    names = [e["name"] for e in listing("gone") if SEGMENT.match(e["name"])]
    assert len(names) == 1
    status, _ctype, body = request(READER, "GET", f"/gone/{today()}/{names[0]}")
    assert (status, body) == (200, b"earlier footage")
    # Its folders (made by hand, root's) now belong to the recorder: the manifest
    # job can write its SHA256SUMS there (it failed on them before).
    for folder in (f"{STORAGE}/gone", f"{STORAGE}/gone/{today()}"):
        assert host.file(folder).user == "vigie-recorder", folder
    assert wait_for_manifest(host, "gone")


def test_the_manifest_job_succeeds(host):
    """Once it has filed the earlier footage, its last run succeeded."""
    assert wait_for_manifest(host, "gone")
    unit = "vigie-recorder-housekeeping@manifest"
    result = host.check_output(f"systemctl show -p Result --value {unit}")
    assert result == "success", host.check_output(f"journalctl -u {unit} -n 20 --no-pager")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST", "OPTIONS", "PROPFIND"])
def test_only_get_and_head(host, finished, method):
    before = host.check_output(f"sha256sum {STORAGE}{finished}")
    status, _ctype, _body = request(READER, method, finished)
    assert status in (403, 405), method
    assert host.check_output(f"sha256sum {STORAGE}{finished}") == before
    assert host.file(f"{STORAGE}{finished}").exists
    head, _ctype, _body = request(READER, "HEAD", finished)
    assert head == 200


def test_no_other_file_and_no_way_out_of_the_recordings(host, finished):
    day = f"/cam1/{today()}"
    camera_dir = host.file(f"{STORAGE}/cam1")
    assert camera_dir.is_directory
    # The manifest exists and is not served; nor another camera's name in a folder,
    # nor the folders above a day, nor anything outside the root.
    assert wait_for_manifest(host)
    refused = [
        f"{day}/SHA256SUMS",
        "/",
        "/cam1/",
        f"/cam2/{today()}/{finished.rsplit('/', 1)[1]}",
        f"{day}/../../../../etc/passwd",
        f"{day}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"{day}/../{today()}/SHA256SUMS",
        "/../etc/nginx/nginx.conf",
        "/etc/passwd",
    ]
    for path in refused:
        status, _ctype, body = request(READER, "GET", path)
        assert status in (400, 403, 404), (path, status)
        assert b"root:" not in body and b"  cam1_" not in body, path


def wait_for_manifest(host, camera="cam1"):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if host.file(f"{STORAGE}/{camera}/{today()}/SHA256SUMS").exists:
            return True
        time.sleep(2)
    return False


def test_a_symbolic_link_is_not_followed(host, finished):
    # A folder linked to a camera's: its day would list if links were followed.
    link = f"{STORAGE}/linked"
    host.run(f"ln -sfn {STORAGE}/cam1 {link}")
    try:
        assert request(READER, "GET", f"/cam1/{today()}/")[0] == 200
        status, _ctype, body = request(READER, "GET", f"/linked/{today()}/")
        assert status in (403, 404) and b"cam1_" not in body
    finally:
        host.run(f"rm -f {link}")


def test_footage_is_not_world_readable(host, finished):
    top = host.file(STORAGE)
    assert (top.user, top.group, top.mode) == ("vigie-recorder", "vigie-footage", 0o2750)
    segment = host.file(f"{STORAGE}{finished}")
    assert segment.group == "vigie-footage" and segment.mode == 0o640
    day = host.file(f"{STORAGE}/cam1/{today()}")
    assert day.group == "vigie-footage" and day.mode & 0o007 == 0
    assert "vigie-footage" in host.check_output("id -nG www-data").split()
    # nginx workers run as www-data.
    workers = host.check_output("ps -o user= -C nginx").split()
    assert "www-data" in workers and set(workers) <= {"root", "www-data"}


def test_another_host_is_dropped_by_the_recorder_s_firewall(host, finished):
    assert request(OTHER, "GET", finished)[0] == "timeout"
    assert request(READER, "GET", finished)[0] == 200


def test_nginx_itself_answers_no_one_but_the_readers(host, finished):
    # From the recorder itself (loopback, which the firewall accepts): refused by nginx.
    out = host.check_output(
        f"python3 -c 'import urllib.request,urllib.error\n"
        f'try:\n    urllib.request.urlopen("http://127.0.0.1:{PORT}{finished}", timeout=3)\n'
        f"    print(200)\nexcept urllib.error.HTTPError as e:\n    print(e.code)'"
    )
    assert out.strip() == "403"


def test_no_server_version_is_given(host, finished):
    out = subprocess.run(
        ["docker", "exec", READER, "python3", "-c",
         "import http.client; c = http.client.HTTPConnection('10.231.130.10', 8088, timeout=3); "
         "c.request('HEAD', '/nothing'); print(c.getresponse().getheader('Server'))"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "nginx"


def test_the_ruleset_accepts_the_segment_port_from_the_readers_only(host):
    ruleset = json.loads(host.check_output("nft -j list ruleset"))
    assert nft_input.input_policy(ruleset) == "drop"
    rules = nft_input.rules_accepting(ruleset, PORT)
    assert rules, "no rule accepts the segment port"
    assert {nft_input.saddr(r) for r in rules} == {f"{READER_ADDRESS}/32"}
    assert all(nft_input.matches(r).get(nft_input.DPORT) == PORT for r in rules)
