"""With the lab up and `make lab-detectors` done: the lab stack's detectors run and publish.

Marked `lab`: runs only through `make test-pulumi-lab` (or `pytest -m lab`), with
.lab/state.json and the stack file written by `make lab-detectors` (lab/detectors/run.py).
Without them the test fails when the lab is required (VIGIE_LAB_REQUIRED=1, as
`make test-pulumi-lab` sets it, or CI=true), and is skipped otherwise.
"""

import json
import os
import re
import subprocess
import time

import docker
import pytest
from vigie_stack import stackfile
from vigie_stack.config import REPO_ROOT, read_config
from vigie_stack.host import HEALTHCHECK
from vigie_stack.mocked_run import reveal, run_under_mocks
from vigie_stack.program import declare

from lab.detectors.ssh_docker import SshDockerSocket

pytestmark = pytest.mark.lab

STATE = REPO_ROOT / ".lab" / "state.json"
STACK_FILE = REPO_ROOT / ".pulumi-state" / "Pulumi.lab.yaml"
PASSPHRASE = REPO_ROOT / ".pulumi-state" / "passphrase-lab"
CONTAINER = "docker:index/container:Container"
WAIT_S = 120


@pytest.fixture(scope="module")
def lab():
    if not (STATE.exists() and STACK_FILE.exists()):
        missing = "the lab is not up or its detectors were not started (make lab lab-detectors)"
        if os.environ.get("VIGIE_LAB_REQUIRED") == "1" or os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return json.loads(STATE.read_text())


@pytest.fixture(scope="module")
def declared(lab):
    config, secret_keys = stackfile.resolve(STACK_FILE, PASSPHRASE.read_text())
    mocks = run_under_mocks(config, secret_keys, "lab", lambda: declare(read_config()))
    providers = {
        p.name: (p.inputs["host"], json.loads(p.inputs.get("sshOpts") or "[]"))
        for p in mocks.of_type("pulumi:providers:docker")
    }
    detectors = [r for r in mocks.of_type(CONTAINER) if r.inputs.get("start", True)]
    assert detectors, "the lab stack declares detector containers"
    return providers, detectors, config


def provider_name(res):
    return res.provider.rsplit("::", 2)[-2]


def test_declared_containers_run_hardened_on_the_detector_hosts(declared):
    providers, detectors, _ = declared
    for prov, (url, opts) in providers.items():
        with SshDockerSocket(url, opts) as base_url:
            client = docker.DockerClient(base_url=base_url)
            for res in (r for r in detectors if provider_name(r) == prov):
                name = reveal(res.inputs)["name"]
                c = client.containers.get(name)
                host = c.attrs["HostConfig"]
                assert c.status == "running", name
                assert host["ReadonlyRootfs"] is True and host["Privileged"] is False
                assert host["NanoCpus"] > 0 and host["Memory"] > 0
                assert host["RestartPolicy"]["Name"] == "unless-stopped"
                mounts = {m["Destination"]: m["RW"] for m in c.attrs["Mounts"]}
                assert mounts["/etc/vigie-detector"] is False
                watched = {i["label"]: i["value"] for i in reveal(res.inputs["labels"])}
                assert c.labels["vigie.cameras"] == watched["vigie.cameras"]
                assert wait_healthy(c) == "healthy", (
                    f"{name}: Docker healthcheck {c.attrs['State']['Health']} (a detector host "
                    "running in a container needs CAP_SYS_PTRACE to exec into non-root containers)"
                )


def wait_healthy(container) -> str:
    deadline = time.monotonic() + WAIT_S
    while True:
        container.reload()
        status = container.attrs["State"].get("Health", {}).get("Status", "none")
        if status != "starting" or time.monotonic() > deadline:
            return status
        time.sleep(3)


def test_every_detector_connects_to_the_central_broker_with_its_hosts_certificate(lab, declared):
    """Each container is connected to the central broker (TLS, its host's client
    certificate: the broker's log names the certificate's CN as the user) and its
    streams are up (the detector's own healthcheck)."""
    providers, detectors, _config = declared
    expected: dict[str, str] = {}  # client id -> detector host (the certificate's CN)
    for r in detectors:
        labels = {i["label"]: i["value"] for i in reveal(r.inputs["labels"])}
        expected[f"{labels['vigie.host']}-{reveal(r.inputs)['name']}"] = labels["vigie.host"]
    mqtt_state = lab["mqtt"]
    deadline = time.monotonic() + WAIT_S
    while True:
        log = subprocess.run(
            ["docker", "exec", mqtt_state["container"], "cat", mqtt_state["log"]],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        missing = {
            cid: host
            for cid, host in expected.items()
            if not re.search(rf"New client connected from \S+ as {re.escape(cid)} .*u'{host}'", log)
        }
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert not missing, f"not connected with their host's certificate: {missing}"
    for prov, (url, opts) in providers.items():
        with SshDockerSocket(url, opts) as base_url:
            client = docker.DockerClient(base_url=base_url)
            for res in (r for r in detectors if provider_name(r) == prov):
                c = client.containers.get(reveal(res.inputs)["name"])
                out = c.exec_run(HEALTHCHECK[1:]).output.decode()  # without "CMD"
                m = re.search(r"healthy: (\d+)/(\d+)", out)
                assert m and m[1] == m[2] and int(m[2]) > 0, f"{c.name}: {out}"
