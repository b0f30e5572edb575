"""Bring the lab up: segments, hosts (site and central), cameras, probes; write .lab/state.json.

    .venv/bin/python -m lab.up

Idempotent: objects that already exist are kept (and started if stopped), so a
second `make lab` only converges again. Operator-facing failures print one line
and exit 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from lab import docker_cli as d
from lab import secrets, topology
from lab.camera_sim import credentials as camera_credentials
from vigie.desired import MQTT_TLS_PORT

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / ".lab"
BIN = Path(sys.executable).parent
# Another inventory can be laid out (e.g. a test file), the lab one by default.
INVENTORY = Path(os.environ.get("VIGIE_LAB_INVENTORY", ROOT / "inventories" / "lab"))
HOST_IMAGE = "vigie/debian-systemd:bookworm"
SLIM_IMAGE = "vigie/debian-slim:bookworm"
MIRROR_IMAGE = "vigie/lab-apt-mirror:bookworm"
CAMERA_IMAGE = "vigie/camera-sim:bookworm"  # built by lab/camera_sim/build.sh
# The simulators' frame rate: a substream's, enough for the detectors and the live view.
SIM_FPS = 5
# Small on purpose: the emergency-purge test fills it (tests/lab/).
RECORDER_STORAGE_SIZE = os.environ.get("VIGIE_LAB_STORAGE_SIZE", "128m")
# tree.avi decodes to 4:4:4, which encode.sh (baseline profile) refuses.
FOOTAGE = ("vtest.avi", "Megamind.avi")
SSH_USER = "root"


def log(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def ensure_images() -> None:
    run("bash", "scripts/base-image.sh", "systemd", stdout=subprocess.DEVNULL)
    run("bash", "scripts/base-image.sh", "slim", stdout=subprocess.DEVNULL)
    if not d.image_exists(MIRROR_IMAGE):
        log(f"building {MIRROR_IMAGE}")
        run("docker", "build", "-q", "-t", MIRROR_IMAGE, "lab/mirror", stdout=subprocess.DEVNULL)
    run("bash", "lab/camera_sim/build.sh", stdout=subprocess.DEVNULL)


def encoded_footage() -> list[Path]:
    """Real footage encoded once to H.264 for the simulators (cached)."""
    src = Path(run("bash", "scripts/footage.sh", capture_output=True, text=True).stdout.strip())
    out = []
    for name in FOOTAGE:
        target = ROOT / ".cache" / "footage" / "h264" / (Path(name).stem + ".h264")
        run(
            "bash",
            "lab/camera_sim/encode.sh",
            str(src / name),
            str(target),
            stdout=subprocess.DEVNULL,
        )
        out.append(target)
    return out


def route(container: str, prefix: str, via: str) -> None:
    """Route a container through the site gateway (entered from here: no capability needed)."""
    run("nsenter", "-t", str(d.pid(container)), "-n", "ip", "route", "replace", prefix, "via", via)


def wait_systemd(container: str) -> None:
    for _ in range(60):
        state = d.docker("exec", container, "systemctl", "is-system-running", check=False)
        if state.strip() in ("running", "degraded"):
            return
        time.sleep(1)
    raise SystemExit(f"lab: systemd did not come up in {container}")


def authorized_dir(key: Path) -> Path:
    """A /root/.ssh for the lab hosts: the lab key only, modes sshd accepts."""
    ssh_dir = LAB / "ssh" / "authorized"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = ssh_dir / "authorized_keys"
    if not target.exists():
        shutil.copy(key.with_suffix(".pub"), target)
        target.chmod(0o600)
    return ssh_dir


def up_host(host: topology.LabHost, key: Path) -> str:
    """Create and start one systemd host; return its pinned SSH host key line."""
    created = False
    if not d.exists("container", host.container):
        options = list(d.SYSTEMD_OPTIONS)
        if host.kind == "gateway":
            options += ["--sysctl", "net.ipv4.ip_forward=1"]
        if host.kind == "detector_host":
            # The nested engine runs the detectors' healthcheck by exec'ing into
            # non-root containers, which needs ptrace inside this container.
            options += ["--cap-add", "SYS_PTRACE"]
        if host.storage_path:
            volume = f"{host.container}-storage"
            d.ensure_volume(
                volume,
                "--driver",
                "local",
                "--opt",
                "type=tmpfs",
                "--opt",
                "device=tmpfs",
                "--opt",
                f"o=size={RECORDER_STORAGE_SIZE}",
            )
            options += ["--mount", f"type=volume,src={volume},dst={host.storage_path}"]
        # The management interface first: it is the one Ansible reaches.
        pairs = sorted(
            ((host.segments[vlan], address) for vlan, address in host.addresses.items()),
            key=lambda pair: pair[1] != host.ansible_host,
        )
        d.create_container(host.container, HOST_IMAGE, pairs, options)
        d.docker("cp", f"{authorized_dir(key)}/.", f"{host.container}:/root/.ssh")
        created = True
    if not d.running(host.container):
        d.docker("start", host.container)
    wait_systemd(host.container)
    if created:
        # The base image carries one set of host keys; each host gets its own.
        # Fresh apt lists, as on a freshly installed server.
        d.exec_(
            host.container,
            "sh",
            "-c",
            "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A -q && systemctl restart ssh"
            " && apt-get update -qq",
        )
    for prefix, via in host.routes:
        route(host.container, prefix, via)
    pub = d.exec_(host.container, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").split()
    return f"{host.ansible_host} {pub[0]} {pub[1]}"


# MQTT over TLS: the model's port, the one the gateways open towards admin.
BROKER_PORT = MQTT_TLS_PORT
# Where roles/pki keeps the platform's CA, on the central host.
CENTRAL_CA = "/etc/vigie-pki/ca/ca.pem"
# Folder on each detector host with its client certificate (playbooks/identities.yml).
DETECTOR_TLS_DIR = "/etc/vigie-detector/tls"
BROKER_LOG = "/var/log/mosquitto/mosquitto.log"
# roles/witness's folders (its defaults): the copy and state, the keys.
WITNESS_STATE = "/var/lib/vigie-witness"
WITNESS_ETC = "/etc/vigie-witness"
# The password broker the lab ran before the central services (retired).
RETIRED = (topology.PREFIX + "mqtt",)


def central_host(c: topology.Central) -> topology.LabHost:
    """A central host is brought up like the site hosts: systemd, SSH key pinned."""
    return topology.LabHost(
        c.name,
        c.container,
        "central",
        "central",
        c.address,
        {"admin": c.address},
        {"admin": c.segment},
        None,
        c.routes,
    )


def witness_host(w: topology.Witness) -> topology.LabHost:
    """The journal's witness, on a host of its own beside the central host."""
    return topology.LabHost(
        w.name, w.container, "", "witness", w.address, {"admin": w.address}, {"admin": w.segment}
    )


def up_camera(cam: topology.LabCamera, footage: Path, gateway: str | None, values: dict) -> None:
    url = urlsplit(cam.rtsp_url)
    # Like a real camera, the simulator requires its credential (RTSP digest).
    auth_opts, auth_args = camera_credentials.simulator_args(
        camera_credentials.credential_file(LAB, cam.credential, values)
    )
    if not d.exists("container", cam.container):
        d.create_container(
            cam.container,
            CAMERA_IMAGE,
            [(cam.segment, cam.address)],
            ["-v", f"{footage.parent}:/lab-footage:ro", *auth_opts],
            # The image's entrypoint listens on 0.0.0.0:554 inside the container.
            [
                "--port",
                str(url.port or 554),
                # The stream the recorder reads carries the wall-clock code (the
                # live view's latency is read from the picture), with the model's
                # key-frame interval.
                "--clock-mount",
                f"{url.path}=/lab-footage/{footage.name}@{SIM_FPS}/{cam.keyframe_seconds:g}",
                # The analysis substream the detectors read (same footage here).
                *(
                    arg
                    for path in cam.analysis_paths
                    if path != url.path
                    for arg in ("--mount", f"{path}=/lab-footage/{footage.name}@{SIM_FPS}")
                ),
                *auth_args,
            ],
        )
    if not d.running(cam.container):
        d.docker("start", cam.container)
    if gateway:
        route(cam.container, "default", gateway)


def up_probe(probe: topology.Probe) -> None:
    if not d.exists("container", probe.container):
        d.create_container(
            probe.container, SLIM_IMAGE, [(probe.segment, probe.address)], [], ["sleep", "infinity"]
        )
    if not d.running(probe.container):
        d.docker("start", probe.container)
    route(probe.container, "default", probe.via)


def up_mirror(mirror: topology.Mirror) -> None:
    """The package mirror; its cache lives in .cache/ so that reruns reuse it."""
    cache = ROOT / ".cache" / "lab-mirror"
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o777)  # written by the image's apt-cacher-ng user
    if not d.exists("container", mirror.container):
        d.create_container(
            mirror.container,
            MIRROR_IMAGE,
            [(mirror.segment, mirror.address)],
            ["-v", f"{cache}:/var/cache/apt-cacher-ng"],
        )
    if not d.running(mirror.container):
        d.docker("start", mirror.container)
    for prefix, via in mirror.routes:
        route(mirror.container, prefix, via)


def up_admin_probe(probe: topology.AdminProbe) -> None:
    if not d.exists("container", probe.container):
        d.create_container(
            probe.container, SLIM_IMAGE, [(probe.segment, probe.address)], [], ["sleep", "infinity"]
        )
    if not d.running(probe.container):
        d.docker("start", probe.container)
    for prefix, via in probe.routes:
        route(probe.container, prefix, via)


def wait_ssh(hosts: list[topology.LabHost], key: Path, known_hosts: Path) -> None:
    for host in hosts:
        for _ in range(30):
            ok = (
                subprocess.run(
                    [
                        "ssh",
                        "-i",
                        str(key),
                        "-o",
                        f"UserKnownHostsFile={known_hosts}",
                        "-o",
                        "BatchMode=yes",
                        "-o",
                        "ConnectTimeout=2",
                        f"{SSH_USER}@{host.ansible_host}",
                        "true",
                    ],
                    capture_output=True,
                ).returncode
                == 0
            )
            if ok:
                break
            time.sleep(1)
        else:
            raise SystemExit(f"lab: {host.name} ({host.ansible_host}) does not answer on SSH")


def state(top: topology.Topology, key: Path, known_hosts: Path) -> dict:
    return {
        "version": 1,
        "root": str(ROOT),
        "inventory": str(INVENTORY),
        "ssh": {"user": SSH_USER, "private_key": str(key), "known_hosts": str(known_hosts)},
        "vault_password_file": str(LAB / "vault-password"),
        "secrets_file": str(LAB / "secrets.yml"),
        # The central broker (roles/broker): TLS, client certificates only.
        # Its CA (roles/pki, on the central host) is copied to ca_file after
        # the converge; each detector host's certificate is in client_tls_dir.
        "mqtt": (
            {
                "container": top.central[0].container,
                "host": top.central[0].address,
                "port": BROKER_PORT,
                "tls": True,
                "ca_file": str(LAB / "pki" / "ca.pem"),
                "ca_source": CENTRAL_CA,
                "client_tls_dir": DETECTOR_TLS_DIR,
                "log": BROKER_LOG,
                # Ignored by the broker (use_identity_as_username); the stack asks for one.
                "username": secrets.MQTT_USER,
            }
            if top.central
            else None
        ),
        "central": [
            {"name": c.name, "container": c.container, "address": c.address} for c in top.central
        ],
        # The journal's witnesses (playbooks/witness.yml): the copy they pull and
        # their state under WITNESS_STATE, their verifier key under WITNESS_ETC.
        "witnesses": [
            {
                "name": w.name,
                "container": w.container,
                "address": w.address,
                "state_dir": WITNESS_STATE,
                "etc_dir": WITNESS_ETC,
            }
            for w in top.witnesses
        ],
        "segments": [s.__dict__ for s in top.segments],
        "hosts": {
            h.name: {
                "container": h.container,
                "site": h.site,
                "kind": h.kind,
                "ansible_host": h.ansible_host,
                "addresses": h.addresses,
                "storage_path": h.storage_path,
            }
            for h in top.hosts
        },
        "cameras": [c.__dict__ for c in top.cameras],
        "probes": [p.__dict__ for p in top.probes],
        "admin_probe": top.admin_probe.__dict__ if top.admin_probe else None,
        "mirror": top.mirror.__dict__ if top.mirror else None,
    }


def main() -> int:
    started = time.monotonic()
    LAB.mkdir(mode=0o700, exist_ok=True)
    try:
        top = topology.load(INVENTORY)
    except topology.TopologyError as exc:
        print(f"{INVENTORY}: LAB-TOPOLOGY: {exc}", file=sys.stderr)
        return 2
    ensure_images()
    footage = encoded_footage()
    key = secrets.ensure_ssh_key(LAB)
    values = secrets.ensure_secrets(LAB, sorted({c.credential for c in top.cameras}), BIN)
    for seg in top.segments:
        d.ensure_network(seg.name, seg.prefix, seg.controller_address)
    if top.mirror:
        # Before the hosts: they update through it from their first apt run.
        up_mirror(top.mirror)
    authorized_dir(key)
    for name in RETIRED:
        if d.exists("container", name):
            d.docker("rm", "-f", name)
    hosts = (
        top.hosts
        + [central_host(c) for c in top.central]
        + [witness_host(w) for w in top.witnesses]
    )
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        known = list(pool.map(lambda h: up_host(h, key), hosts))
    known_hosts = LAB / "ssh" / "known_hosts"
    known_hosts.write_text("\n".join(known) + "\n")
    gateways = {h.site: h.addresses.get("cameras") for h in top.hosts if h.kind == "gateway"}
    for i, cam in enumerate(top.cameras):
        up_camera(cam, footage[i % len(footage)], gateways.get(cam.site), values)
    for probe in top.probes:
        up_probe(probe)
    if top.admin_probe:
        up_admin_probe(top.admin_probe)
    wait_ssh(hosts, key, known_hosts)
    (LAB / "state.json").write_text(json.dumps(state(top, key, known_hosts), indent=2) + "\n")
    log(
        f"{len(hosts)} hosts ({len(top.central)} central, {len(top.witnesses)} witness), "
        f"{len(top.cameras)} cameras, "
        f"{len(top.segments)} segments "
        f"up in {time.monotonic() - started:.0f} s; state in .lab/state.json"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (d.DockerError, subprocess.CalledProcessError) as exc:
        print(f"lab: {exc}", file=sys.stderr)
        sys.exit(2)
