"""Create the resources a mock run of the stack recorded, with the docker SDK.

The lab path when the Pulumi CLI is absent: the program is run under
``pulumi.runtime.set_mocks`` (``recorder.py``), and what it declared for each
detector host (network, config volumes, config writers, detector containers)
is created on that host's engine. Each container carries a hash of its
recorded inputs, so a second run changes nothing and a changed input
replaces exactly the containers concerned — as ``pulumi up`` would.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.types import Mount
from vigie_stack.mocked_run import Recorded, RecordingMocks, reveal

PROVIDER = "pulumi:providers:docker"
IMAGE = "docker:index/image:Image"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
CONTAINER = "docker:index/container:Container"
SPEC_LABEL = "vigie.spec-sha256"


def _ns(duration: str | None) -> int | None:
    """Terraform-style duration ("30s", "1m") to nanoseconds."""
    if not duration:
        return None
    units = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
    for unit in ("ms", "s", "m", "h"):
        if duration.endswith(unit) and duration[: -len(unit)].isdigit():
            return int(duration[: -len(unit)]) * units[unit]
    raise ValueError(f"unsupported duration {duration!r}")


def spec_hash(inputs: dict[str, Any], image_id: str) -> str:
    blob = json.dumps([reveal(inputs), image_id], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def container_kwargs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Docker SDK ``containers.create`` arguments from the recorded Container inputs."""
    i = reveal(inputs)
    kwargs: dict[str, Any] = {
        "image": i["image"],
        "name": i["name"],
        "command": i.get("command"),
        "read_only": bool(i.get("readOnly", False)),
        "privileged": bool(i.get("privileged", False)),
        "labels": {item["label"]: item["value"] for item in i.get("labels") or []},
        "mounts": [
            Mount(
                target=m["target"],
                source=m.get("source"),
                type=m["type"],
                read_only=bool(m.get("readOnly", False)),
            )
            for m in i.get("mounts") or []
        ],
    }
    caps = i.get("capabilities") or {}
    if caps.get("drops"):
        kwargs["cap_drop"] = list(caps["drops"])
    if caps.get("adds"):
        kwargs["cap_add"] = list(caps["adds"])
    if i.get("securityOpts"):
        kwargs["security_opt"] = list(i["securityOpts"])
    if i.get("restart"):
        kwargs["restart_policy"] = {"Name": i["restart"]}
    if i.get("cpus"):
        kwargs["nano_cpus"] = int(float(i["cpus"]) * 1e9)
    if i.get("memory"):
        kwargs["mem_limit"] = f"{int(i['memory'])}m"  # numbers come back as floats
    if i.get("memorySwap"):
        kwargs["memswap_limit"] = f"{int(i['memorySwap'])}m"
    if i.get("tmpfs"):
        kwargs["tmpfs"] = dict(i["tmpfs"])
    if i.get("healthcheck"):
        h = i["healthcheck"]
        kwargs["healthcheck"] = {
            "test": h["tests"],
            "interval": _ns(h.get("interval")),
            "timeout": _ns(h.get("timeout")),
            "retries": int(h["retries"]) if h.get("retries") is not None else None,
            "start_period": _ns(h.get("startPeriod")),
        }
    if i.get("networkMode"):
        kwargs["network_mode"] = i["networkMode"]
    elif i.get("networksAdvanced"):
        kwargs["network"] = i["networksAdvanced"][0]["name"]
    return kwargs


def _tar_of(uploads: list[dict[str, Any]], directory: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for up in uploads:
            if not up["file"].startswith(directory + "/"):
                raise ValueError(f"upload {up['file']} outside {directory}")
            data = up["content"].encode()
            info = tarfile.TarInfo(up["file"][len(directory) + 1 :])
            info.size = len(data)
            info.mode = int(up.get("permissions") or "0444", 8)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@dataclass
class HostTarget:
    """How to reach one detector host's engine in the lab."""

    docker_url: str  # e.g. unix:// socket served by SshDockerSocket
    load_image: Callable[[str], None]  # puts a local image onto the host


@dataclass
class ReplayReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def provider_of(res: Recorded, providers: dict[str, str]) -> str:
    urn = (res.provider or "").rsplit("::", 1)[0]
    name = urn.rsplit("::", 1)[-1]
    if name not in providers:
        raise KeyError(f"{res.name}: unknown provider {res.provider!r}")
    return providers[name]


def replay(mocks: RecordingMocks, targets: dict[str, HostTarget]) -> ReplayReport:
    """Apply the recorded stack; ``targets`` maps a provider's resource name to its host."""
    report = ReplayReport()
    providers = {p.name: p.name for p in mocks.of_type(PROVIDER)}
    clients = {name: docker.DockerClient(base_url=t.docker_url) for name, t in targets.items()}
    images = [(provider_of(r, providers), r.inputs["imageName"]) for r in mocks.of_type(IMAGE)]
    # Loading an image into a host's engine is the slow step: all hosts at once.
    with ThreadPoolExecutor(max_workers=max(1, len(images))) as pool:
        list(pool.map(lambda pi: targets[pi[0]].load_image(pi[1]), images))
    image_ids = {(prov, name): clients[prov].images.get(name).id for prov, name in images}
    for res in mocks.of_type(NETWORK):
        client = clients[provider_of(res, providers)]
        if not client.networks.list(names=[res.inputs["name"]]):
            client.networks.create(
                res.inputs["name"],
                driver=res.inputs.get("driver", "bridge"),
                options=res.inputs.get("options") or None,
            )
            report.created.append(f"network {res.inputs['name']}")
    for res in mocks.of_type(VOLUME):
        client = clients[provider_of(res, providers)]
        client.volumes.create(res.inputs["name"])  # idempotent on the engine side
    # Config writers before detectors: the detectors mount what they wrote.
    containers = sorted(mocks.of_type(CONTAINER), key=lambda r: r.inputs.get("start", True))
    for res in containers:
        prov = provider_of(res, providers)
        client = clients[prov]
        kwargs = container_kwargs(res.inputs)
        digest = spec_hash(res.inputs, image_ids[(prov, kwargs["image"])])
        kwargs["labels"][SPEC_LABEL] = digest
        existing = client.containers.list(all=True, filters={"name": f"^/{kwargs['name']}$"})
        start = res.inputs.get("start", True)
        if existing and existing[0].labels.get(SPEC_LABEL) == digest:
            if start and existing[0].status != "running":
                existing[0].start()
            report.kept.append(f"{prov}/{kwargs['name']}")
            continue
        for old in existing:
            old.remove(force=True)
        container = client.containers.create(**kwargs)
        uploads = reveal(res.inputs.get("uploads")) or []
        if uploads:
            target = next(m["Target"] for m in kwargs["mounts"])
            container.put_archive(target, _tar_of(uploads, target))
        if start:
            container.start()
        report.created.append(f"{prov}/{kwargs['name']}")
    return report


def load_via_exec(outer: docker.DockerClient, host_container: str) -> Callable[[str], None]:
    """``docker save IMAGE | docker exec -i HOST docker load``, skipped when already there."""

    def load(image: str) -> None:
        local_id = outer.images.get(image).id
        probe = subprocess.run(
            [
                "docker",
                "exec",
                host_container,
                "docker",
                "image",
                "inspect",
                "-f",
                "{{.Id}}",
                image,
            ],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == local_id:
            return
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "exec", "-i", host_container, "docker", "load"],
            stdin=save.stdout,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if save.wait() != 0:
            raise RuntimeError(f"docker save {image} failed")

    return load
