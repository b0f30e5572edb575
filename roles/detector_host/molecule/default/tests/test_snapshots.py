"""The snapshot server: the detector host serves its events' still
images read-only to the access gateway and to nothing else.

Real traffic from two other containers: `vigie-mol-detector_host-gateway`
(10.231.140.40, the only reader) and `vigie-mol-detector_host-other`
(10.231.140.20, any other host). The image is a real JPEG made by the detector's
own code (vigie_detector.events.save_snapshot), written into a container's folder
by a container of the host's engine running as the detector image's account,
with the detector's restrictions (read-only root, no capability), through the
bind mount the Pulumi stack is to use.
"""

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from nested_engine import HOST, IMAGE, load_image
from vigie_detector.events import Event, save_snapshot

# The HTTP probe and nftables reading shared with the other read-only server's scenario.
sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "molecule" / "shared"))
import http_probe
import nft_input

testinfra_hosts = ["docker://vigie-mol-detector_host"]
READER = "vigie-mol-detector_host-gateway"
OTHER = "vigie-mol-detector_host-other"
ADDRESS = "10.231.140.10"
READER_ADDRESS = "10.231.140.40"
PORT = 8089
ROOT = "/var/lib/vigie-detector/snapshots"
UID = 10001  # converge.yml: detector_host__snapshot_uid, as the model sets it


def request(client, method, path, address=ADDRESS):
    """(status or "timeout"/"refused", content type, body) of one request from `client`."""
    return http_probe.request(client, method, path, address, PORT)


def write_as_detector(host, container, name, data):
    """Write `data` as the detector does: from a container of the host's engine,
    as the image's account, read-only root, no capability, default umask."""
    load_image(host)
    subprocess.run(
        [
            "docker", "exec", "-i", HOST, "docker", "run", "-i", "--rm", "--network", "none",
            "--user", str(UID), "--read-only", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--mount", f"type=bind,source={ROOT}/{container},target={ROOT}",
            IMAGE, "sh", "-c", f'cat > "{ROOT}/$0"', name,
        ],
        input=data, capture_output=True, timeout=120, check=True,
    )  # fmt: skip


def make_snapshot(tmp_path, camera, seconds):
    """A real event's still image, named and encoded by the detector's code."""
    rng = np.random.default_rng(seconds)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (360, 640, 3), dtype=np.uint8), (9, 9), 3)
    event = Event(
        site="test",
        camera=camera,
        cls="intrusion",
        kind="person",
        zone=None,
        time=dt.datetime(2026, 11, 27, 13, 0, seconds, 250000, tzinfo=dt.UTC),
        score=0.9,
        frame=frame,
    )
    name = save_snapshot(event, tmp_path)
    return name, (tmp_path / name).read_bytes()


@pytest.fixture(scope="module")
def snapshots(host, tmp_path_factory):
    """{container: (name, bytes)}: one image in each detector container's folder."""
    tmp = tmp_path_factory.mktemp("snapshots")
    out = {}
    for i, (container, camera) in enumerate(
        (("vigie-detector-0", "cam1"), ("vigie-detector-1", "cam2"))
    ):
        name, data = make_snapshot(tmp, camera, i)
        write_as_detector(host, container, name, data)
        out[container] = (name, data)
    return out


def test_each_container_s_image_downloads_whole_and_decodes(host, snapshots):
    for container, (name, data) in snapshots.items():
        status, ctype, body = request(READER, "GET", f"/snapshots/{name}")
        assert (status, ctype) == (200, "image/jpeg"), container
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
        on_disk = host.check_output(f"sha256sum {ROOT}/{container}/{name}").split()[0]
        assert on_disk == hashlib.sha256(data).hexdigest()
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape == (360, 640, 3)


def test_an_unknown_name_is_not_found(host, snapshots):
    name = next(iter(snapshots.values()))[0].replace("_intrusion-", "_tamper-")
    assert request(READER, "GET", f"/snapshots/{name}")[0] == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST", "OPTIONS", "PROPFIND"])
def test_only_get_and_head(host, snapshots, method):
    name, data = snapshots["vigie-detector-1"]
    path = f"{ROOT}/vigie-detector-1/{name}"
    status, _ctype, _body = request(READER, method, f"/snapshots/{name}")
    assert status in (403, 405), method
    assert host.file(path).exists
    assert host.check_output(f"sha256sum {path}").split()[0] == hashlib.sha256(data).hexdigest()
    head, ctype, body = request(READER, "HEAD", f"/snapshots/{name}")
    assert (head, ctype, body) == (200, "image/jpeg", b"")


def test_no_listing_no_other_file_and_no_way_out(host, snapshots):
    name, _data = snapshots["vigie-detector-1"]
    # Files the server must never give, though readable by nginx.
    host.check_output(
        f"printf 'not an image' > {ROOT}/vigie-detector-1/notes.txt"
        f" && printf 'not named by the detector' > {ROOT}/vigie-detector-1/x.jpg"
        f" && chgrp vigie-snapshots {ROOT}/vigie-detector-1/notes.txt {ROOT}/vigie-detector-1/x.jpg"
    )
    try:
        refused = [
            "/",
            "/snapshots/",
            "/snapshots/vigie-detector-1/",
            f"/snapshots/vigie-detector-1/{name}",
            f"/vigie-detector-1/{name}",
            "/snapshots/notes.txt",
            "/snapshots/x.jpg",
            f"/snapshots/{name}/../../../etc/passwd",
            "/snapshots/../../../../etc/passwd",
            "/snapshots/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            f"/snapshots/..%2fvigie-detector-1%2f{name}",
            f"/snapshots/%2e%2e/vigie-detector-1/{name}",
            "/../etc/nginx/nginx.conf",
            "/etc/passwd",
        ]
        for path in refused:
            status, _ctype, body = request(READER, "GET", path)
            assert status in (400, 403, 404), (path, status)
            assert b"root:" not in body and b"not " not in body and b"JFIF" not in body, path
            assert name.encode() not in body, path
    finally:
        host.run(f"rm -f {ROOT}/vigie-detector-1/notes.txt {ROOT}/vigie-detector-1/x.jpg")


def test_a_symbolic_link_is_not_followed(host, snapshots):
    # Named like an image, pointing at a file nginx could read.
    name, _data = snapshots["vigie-detector-0"]
    other = name.replace("T130000", "T130059")
    link = f"{ROOT}/vigie-detector-0/{other}"
    host.check_output(f"ln -sfn /etc/nginx/nginx.conf {link}")
    try:
        status, _ctype, body = request(READER, "GET", f"/snapshots/{other}")
        assert status in (403, 404) and b"worker" not in body
    finally:
        host.run(f"rm -f {link}")


def test_images_are_readable_by_nginx_s_group_not_the_world(host, snapshots):
    top = host.file(ROOT)
    assert (top.user, top.group, top.mode) == ("root", "vigie-snapshots", 0o750)
    for container, (name, _data) in snapshots.items():
        folder = host.file(f"{ROOT}/{container}")
        assert (folder.uid, folder.group, folder.mode) == (UID, "vigie-snapshots", 0o2750)
        image = host.file(f"{ROOT}/{container}/{name}")
        assert image.uid == UID and image.group == "vigie-snapshots"
        # Group-readable (the container's umask is 022: world bits too, but
        # the folder lets no one else in).
        assert image.mode & 0o040
        # Another account of the host cannot reach it.
        assert host.run(f"runuser -u nobody -- cat {ROOT}/{container}/{name}").rc != 0
    assert "vigie-snapshots" in host.check_output("id -nG www-data").split()
    workers = host.check_output("ps -o user= -C nginx").split()
    assert "www-data" in workers and set(workers) <= {"root", "www-data"}


def test_another_host_is_dropped_by_the_detector_host_s_firewall(host, snapshots):
    name, _data = snapshots["vigie-detector-0"]
    assert request(OTHER, "GET", f"/snapshots/{name}")[0] == "timeout"
    assert request(READER, "GET", f"/snapshots/{name}")[0] == 200


def test_nginx_itself_answers_no_one_but_the_readers(host, snapshots):
    # From the detector host itself (loopback, which the firewall accepts): refused by nginx.
    name, _data = snapshots["vigie-detector-0"]
    out = host.check_output(
        f"python3 -c 'import urllib.request,urllib.error\n"
        f'try:\n    urllib.request.urlopen("http://127.0.0.1:{PORT}/snapshots/{name}", timeout=3)\n'
        f"    print(200)\nexcept urllib.error.HTTPError as e:\n    print(e.code)'"
    )
    assert out.strip() == "403"


def test_no_server_version_is_given(host):
    out = subprocess.run(
        ["docker", "exec", READER, "python3", "-c",
         f"import http.client; c = http.client.HTTPConnection('{ADDRESS}', {PORT}, timeout=3); "
         "c.request('HEAD', '/nothing'); print(c.getresponse().getheader('Server'))"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "nginx"


def test_the_ruleset_accepts_the_snapshot_port_from_the_readers_only(host):
    ruleset = json.loads(host.check_output("nft -j list ruleset"))
    assert nft_input.input_policy(ruleset) == "drop"
    rules = nft_input.rules_accepting(ruleset, PORT)
    assert rules, "no rule accepts the snapshot port"
    assert {nft_input.saddr(r) for r in rules} == {f"{READER_ADDRESS}/32"}
    assert all(nft_input.matches(r).get(nft_input.DPORT) == PORT for r in rules)
