"""The few Docker CLI calls the lab makes.

The CLI rather than the SDK: these are the exact commands docs/build-host.md lists for this
engine (systemd containers without --privileged), and they read the same in logs.
Every object gets the `vigie.lab=1` label and a `vigie-lab-` name, so `make
lab-down` can remove exactly what the lab made.
"""

from __future__ import annotations

import json
import subprocess

LABEL = "vigie.lab=1"

# docs/build-host.md: what a systemd container needs here instead of --privileged.
SYSTEMD_OPTIONS = [
    "--cap-add",
    "SYS_ADMIN",
    "--cap-add",
    "NET_ADMIN",
    "--security-opt",
    "seccomp=unconfined",
    "--cgroupns=host",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
]


class DockerError(RuntimeError):
    pass


def docker(*args: str, check: bool = True, input: bytes | None = None) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, input=input)
    if check and proc.returncode != 0:
        raise DockerError(f"docker {' '.join(args)}: {proc.stderr.decode().strip()}")
    return proc.stdout.decode()


def exists(kind: str, name: str) -> bool:
    return subprocess.run(["docker", kind, "inspect", name], capture_output=True).returncode == 0


def image_exists(name: str) -> bool:
    return exists("image", name)


def running(name: str) -> bool:
    out = docker("container", "inspect", "-f", "{{.State.Running}}", name, check=False)
    return out.strip() == "true"


def ensure_network(name: str, subnet: str, gateway: str) -> None:
    if exists("network", name):
        info = json.loads(docker("network", "inspect", name))[0]
        got = [c.get("Subnet") for c in info["IPAM"]["Config"]]
        if subnet not in got:
            raise DockerError(f"network {name} exists with {got}, expected {subnet}")
        return
    docker(
        "network",
        "create",
        "--driver",
        "bridge",
        "--label",
        LABEL,
        "--subnet",
        subnet,
        "--gateway",
        gateway,
        name,
    )


def ensure_volume(name: str, *opts: str) -> None:
    if not exists("volume", name):
        docker("volume", "create", "--label", LABEL, *opts, name)


def create_container(
    name: str, image: str, attachments: list[tuple[str, str]], options: list[str], command=()
) -> None:
    """Create (not start) a container with one interface per (network, address)."""
    first_net, first_ip = attachments[0]
    docker(
        "create",
        "--name",
        name,
        "--hostname",
        name.removeprefix("vigie-lab-"),
        "--label",
        LABEL,
        "--network",
        first_net,
        "--ip",
        first_ip,
        *options,
        image,
        *command,
    )
    for net, ip in attachments[1:]:
        docker("network", "connect", "--ip", ip, net, name)


def pid(name: str) -> int:
    return int(docker("container", "inspect", "-f", "{{.State.Pid}}", name).strip())


def exec_(name: str, *cmd: str, check: bool = True, input: bytes | None = None) -> str:
    return docker("exec", "-i", name, *cmd, check=check, input=input)


def lab_objects(kind: str) -> list[str]:
    """Names of lab objects of one kind (container, network, volume)."""
    fmt = "{{.Names}}" if kind == "container" else "{{.Name}}"
    args = ["ls", "-a"] if kind == "container" else ["ls"]
    out = docker(kind, *args, "--filter", f"label={LABEL}", "--format", fmt)
    return sorted(n for n in out.split() if n.startswith("vigie-lab-"))
