"""Remote recording: the datacenter records a commune's camera over the flows
the model derives, proven with real traffic between emulated segments.

The pilot records Maule at the departmental datacenter (`recorded_at:
dc-guyancourt`). Bringing both sites into the full lab would add three
converged hosts to a lab already at its time budget, so this test lays out
only what the flow crosses, from the inventory plugin's output for those two
sites (`data/remote/vigie.yml`): the datacenter's recorders VLAN and Maule's
cameras VLAN (plus one agency VLAN on each side), the two site gateways with
the real firewall role and the forward rules the model gives them, a fibre
segment between the gateways, Maule's camera simulator at its planned address
and, at the datacenter recorder's planned address, a recording client (the
camera simulator image's GStreamer: rtspsrc -> MPEG-TS file). What it does
not run is the recorder role itself (tests/lab/test_recording.py covers it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from netaddr import IPAddress, IPNetwork

from lab import docker_cli as d
from lab.up import CAMERA_IMAGE, HOST_IMAGE, SLIM_IMAGE, encoded_footage, route, wait_systemd
from tests.lab.containers import py, sh, tcp_connect

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
BIN = Path(sys.executable).parent
PREFIX = "vigie-lab-remote-"
# The fibre between the two gateways: not a prefix of the plan (the lab's
# stand-in for the département's fibre, like the gateways' uplinks).
FIBRE = ("10.255.78.0/24", "10.255.78.254")
DC, COMMUNE = "dc-guyancourt", "mairie-maule"

RECORD_PY = r"""
import sys, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
url, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
pipe = Gst.parse_launch(
    f'rtspsrc location="{url}" protocols=tcp tcp-timeout=5000000 ! rtph264depay '
    f'! h264parse ! mpegtsmux ! filesink location="{out}"'
)
pipe.set_state(Gst.State.PLAYING)
bus = pipe.get_bus()
msg = bus.timed_pop_filtered(int(seconds * Gst.SECOND), Gst.MessageType.ERROR | Gst.MessageType.EOS)
if msg is not None and msg.type == Gst.MessageType.ERROR:
    print("error:", msg.parse_error()[0].message)
    sys.exit(1)
pipe.send_event(Gst.Event.new_eos())
bus.timed_pop_filtered(5 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
pipe.set_state(Gst.State.NULL)
"""

TS_PY = r"""
import sys
data = open(sys.argv[1], "rb").read()
packets = len(data) // 188
aligned = all(data[i * 188] == 0x47 for i in range(packets))
print(len(data), packets, aligned)
"""


def inventory() -> dict:
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(DATA / "remote" / "vigie.yml"), "--list"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )
    return json.loads(out.stdout)


def segment(hv: dict, vlan: str) -> dict:
    return next(v for v in hv["network__vlans"] if v["name"] == vlan)


def controller(prefix: str) -> str:
    """The last usable address, which the plan leaves free (as in the lab)."""
    return str(IPAddress(IPNetwork(prefix).last - 1))


def free(prefix: str) -> str:
    # Away from the plan's addresses, like the lab's probes.
    return str(IPAddress(controller(prefix)) - 1)


def net(site: str, vlan: str) -> str:
    return f"{PREFIX}{site}-{vlan}"


def up(name: str, image: str, pairs: list[tuple[str, str]], options=(), command=()) -> str:
    container = PREFIX + name
    d.create_container(container, image, pairs, list(options), list(command))
    d.docker("start", container)
    return container


@pytest.fixture(scope="module")
def remote(lab):
    """Bring the two sites' crossing up, converge the gateways' firewall, yield, remove."""
    started = time.monotonic()
    inv = inventory()
    hv = inv["_meta"]["hostvars"]
    rec = hv[f"{DC}-rec2"]
    cam = rec["recorder__cameras"][0]
    assert cam["id"].startswith(COMMUNE), "the datacenter's second recorder records Maule"
    dc_gw, co_gw = hv[f"{DC}-gw"], hv[f"{COMMUNE}-gw"]
    segments = {
        net(DC, "recorders"): segment(dc_gw, "recorders")["prefix"],
        net(DC, "agency"): segment(dc_gw, "agency")["prefix"],
        net(COMMUNE, "cameras"): segment(co_gw, "cameras")["prefix"],
        net(COMMUNE, "agency"): segment(co_gw, "agency")["prefix"],
        PREFIX + "fibre": FIBRE[0],
    }
    cleanup()
    try:
        for name, prefix in segments.items():
            d.ensure_network(name, prefix, controller(prefix))
        fibre_ip = {DC: "10.255.78.1", COMMUNE: "10.255.78.2"}
        gws = {}
        legs = {DC: ("recorders", "agency"), COMMUNE: ("cameras", "agency")}
        for site, hvars in ((DC, dc_gw), (COMMUNE, co_gw)):
            vlans = legs[site]
            pairs = [(net(site, v), segment(hvars, v)["address"]) for v in vlans]
            pairs.append((PREFIX + "fibre", fibre_ip[site]))
            gws[site] = up(
                f"{site}-gw",
                HOST_IMAGE,
                pairs,
                [*d.SYSTEMD_OPTIONS, "--sysctl", "net.ipv4.ip_forward=1"],
            )
        for site, other, hvars in ((DC, COMMUNE, co_gw), (COMMUNE, DC, dc_gw)):
            wait_systemd(gws[site])
            for v in hvars["network__vlans"]:
                route(gws[site], v["prefix"], fibre_ip[other])
        footage = encoded_footage()[0]
        url = urlsplit(cam["rtsp_url"])
        mount = f"{url.path}=/lab-footage/{footage.name}@5"
        camera = up(
            cam["id"],
            CAMERA_IMAGE,
            [(net(COMMUNE, "cameras"), cam["address"])],
            ["-v", f"{footage.parent}:/lab-footage:ro"],
            ["--port", str(url.port or 554), "--mount", mount],
        )
        route(camera, "default", segment(co_gw, "cameras")["address"])
        # The datacenter recorder, at its planned address, with the model's routes.
        recorder = up(
            f"{DC}-rec2",
            CAMERA_IMAGE,
            [(net(DC, "recorders"), segment(rec, "recorders")["address"])],
            ["--entrypoint", "sleep"],
            ["infinity"],
        )
        for r in rec["network__routes"]:
            route(recorder, r["to"], r["via"])
        probes = {}
        for site, hvars in ((DC, dc_gw), (COMMUNE, co_gw)):
            agency = segment(hvars, "agency")
            probes[site] = up(
                f"{site}-probe-agency",
                SLIM_IMAGE,
                [(net(site, "agency"), free(agency["prefix"]))],
                command=["sleep", "infinity"],
            )
            route(probes[site], "default", agency["address"])
        converge(list(gws.values()))
        print(f"\nremote recording: up and converged in {time.monotonic() - started:.0f} s")
        yield {"camera": cam, "recorder": recorder, "gateways": gws, "probes": probes}
    finally:
        cleanup()


def converge(containers: list[str]) -> None:
    proc = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(DATA / "remote" / "vigie.yml"),
            str(DATA / "remote-firewall.yml"),
            "-e",
            "ansible_connection=community.docker.docker",
            "-e",
            "ansible_host=" + PREFIX + "{{ inventory_hostname }}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def cleanup() -> None:
    for name in d.lab_objects("container"):
        if name.startswith(PREFIX):
            d.docker("rm", "-f", name, check=False)
    for name in d.lab_objects("network"):
        if name.startswith(PREFIX):
            d.docker("network", "rm", name, check=False)


def test_the_gateways_carry_the_models_remote_recording_rules(remote):
    dc = sh(remote["gateways"][DC], "nft list chain inet vigie forward")
    co = sh(remote["gateways"][COMMUNE], "nft list chain inet vigie forward")
    assert f'comment "recording of {COMMUNE}"' in dc
    assert f'comment "recording at {DC}"' in co
    assert "policy drop;" in dc and "policy drop;" in co


def test_the_datacenter_records_the_communes_camera(remote):
    cam = remote["camera"]
    out = "/tmp/remote.ts"
    py(remote["recorder"], RECORD_PY, cam["rtsp_url"], out, "6")
    size, packets, aligned = py(remote["recorder"], TS_PY, out).split()
    # About 6 s of 640x360 H.264 at 5 fps: tens of kilobytes of MPEG-TS.
    assert int(size) > 20_000, size
    assert int(packets) * 188 == int(size) and aligned == "True"


def test_other_ports_from_the_datacenter_recorder_are_dropped(remote):
    cam = remote["camera"]
    assert tcp_connect(remote["recorder"], cam["address"], 554) == "open"
    for port in (443, 80, 22):
        assert tcp_connect(remote["recorder"], cam["address"], port) == "TimeoutError", port


def test_other_sources_cannot_reach_the_communes_camera(remote):
    cam = remote["camera"]
    for site in (DC, COMMUNE):
        outcome = tcp_connect(remote["probes"][site], cam["address"], 554)
        assert outcome == "TimeoutError", site
