"""`make lab-detectors`: the lab stack's detector containers, on the lab's detector hosts.

1. Writes the lab stack file ``.pulumi-state/Pulumi.lab.yaml`` (git-ignored):
   the committed ``Pulumi.lab.yaml`` plus the lab's addresses, SSH options and
   broker, with the camera credentials encrypted under a passphrase generated
   in ``.pulumi-state/`` (Pulumi's passphrase format). No MQTT password: the
   detectors authenticate with their host's client certificate.
2. With the ``pulumi`` CLI: ``pulumi up --stack lab`` on the local file backend
   ``.pulumi-state/``. Without it: the same program runs under Pulumi's mocks,
   and what it declared is created with the docker SDK over SSH
   (``lab/detectors/replay.py``). Says which path it took.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

import docker
import yaml

import pulumi

# The Pulumi program's package (pulumi/vigie_stack): the lab runs what it declares.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pulumi"))

from vigie_stack import stackfile
from vigie_stack.config import REPO_ROOT

from lab.central_credentials import fetch_ca

STATE_DIR = REPO_ROOT / ".pulumi-state"
LAB_STATE = REPO_ROOT / ".lab" / "state.json"
STACK_FILE = STATE_DIR / "Pulumi.lab.yaml"
PASSPHRASE_FILE = STATE_DIR / "passphrase-lab"


def fail(message: str) -> None:
    print(f"lab-detectors: {message}", file=sys.stderr)
    sys.exit(2)


def lab_state(path: Path) -> dict:
    if not path.exists():
        fail(f"{path} not found: run `make lab` first")
    return json.loads(path.read_text())


def ssh_opts(state: dict) -> list[str]:
    ssh = state["ssh"]
    return [
        "-i", ssh["private_key"],
        "-o", f"UserKnownHostsFile={ssh['known_hosts']}",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
    ]  # fmt: skip


def camera_credentials(state: dict) -> dict:
    """The lab's camera credentials, from its ansible-vault file."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = VaultSecret(Path(state["vault_password_file"]).read_bytes().strip())
    raw = Path(state["secrets_file"]).read_bytes()
    text = (
        VaultLib([("default", secret)]).decrypt(raw) if raw.startswith(b"$ANSIBLE_VAULT") else raw
    )
    return (yaml.safe_load(text) or {}).get("vigie_camera_credentials", {})


def passphrase() -> str:
    STATE_DIR.mkdir(exist_ok=True)
    if not PASSPHRASE_FILE.exists():
        PASSPHRASE_FILE.write_text(secrets.token_urlsafe(32))
        PASSPHRASE_FILE.chmod(0o600)
    return PASSPHRASE_FILE.read_text()


def write_stack_file(state: dict) -> str:
    phrase = passphrase()
    detector_hosts = {name: h for name, h in state["hosts"].items() if h["kind"] == "detector_host"}
    data = stackfile.load(REPO_ROOT / "Pulumi.lab.yaml")
    config = data["config"]
    config["vigie:inventory"] = state.get("inventory", "inventories/lab")
    config["vigie:dockerHosts"] = {
        name: f"ssh://{state['ssh']['user']}@{h['ansible_host']}"
        for name, h in detector_hosts.items()
    }
    config["vigie:sshOpts"] = ssh_opts(state)
    mqtt = state["mqtt"]
    # The central broker (its address and port are the model's): its CA (copied
    # from the CA host) goes to the detectors with their configuration; each
    # host's own certificate is on the host.
    config["vigie:mqtt"] = {
        "username": mqtt["username"],
        "ca_file": str(fetch_ca(state)),
        "client_tls_dir": mqtt["client_tls_dir"],
    }
    # Keep the salt across runs (if any), so secrets stay readable by the CLI.
    old = stackfile.load(STACK_FILE) if STACK_FILE.exists() else {}
    if "encryptionsalt" in old:
        data.insert(0, "encryptionsalt", old["encryptionsalt"])
    stackfile.dump(STACK_FILE, data)
    creds = json.dumps(camera_credentials(state))
    stackfile.set_secret(STACK_FILE, "vigie:cameraCredentials", creds, phrase)
    return phrase


def with_cli(phrase: str) -> int:
    print("lab-detectors: path taken: pulumi CLI (`pulumi up --stack lab`, file backend)")
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{STATE_DIR}",
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(PASSPHRASE_FILE),
    }
    subprocess.run(
        ["pulumi", "stack", "select", "--create", "lab"], cwd=REPO_ROOT, env=env, check=True
    )
    # The policy pack runs on the real preview too; its inventory is the stack's.
    inventory = stackfile.load(STACK_FILE)["config"]["vigie:inventory"]
    policy_config = STATE_DIR / "policy-config.json"
    policy_config.write_text(json.dumps({"lawful-cameras-only": {"inventory": inventory}}))
    cmd = [
        "pulumi", "up", "--yes", "--stack", "lab", "--config-file", str(STACK_FILE),
        "--policy-pack", str(REPO_ROOT / "pulumi" / "policy"),
        "--policy-pack-config", str(policy_config),
    ]  # fmt: skip
    return subprocess.run(cmd, cwd=REPO_ROOT, env=env).returncode


def ensure_local_image(outer: docker.DockerClient, name: str, source: str | None) -> None:
    """The detector image on this machine's engine, named as the stack names it.

    Built by the detector's own cached script (offline, hash-pinned wheelhouse;
    a no-op when the sources did not change), unless ``source`` names an image,
    then flattened for the lab (``flatten``).
    """
    built = source or subprocess.run(
        ["bash", str(REPO_ROOT / "detector_image" / "build-image.sh")],
        check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    flatten(outer, outer.images.get(built), name)


FLAT_LABEL = "vigie.flattened-from"


def flatten(outer: docker.DockerClient, image: docker.models.images.Image, name: str) -> None:
    """One-layer copy of ``image`` named ``name``: same filesystem and run settings.

    The lab's detector hosts are containers whose engine uses the ``vfs``
    driver (no overlayfs inside the lab containers), which stores every layer
    as a full copy: one layer loads several times faster than four. Cached on the source image id.
    """
    try:
        if outer.images.get(name).labels.get(FLAT_LABEL) == image.id:
            return
    except docker.errors.ImageNotFound:
        pass
    cfg = image.attrs["Config"]
    changes = [f"ENV {e}" for e in cfg.get("Env") or []]
    for key, instruction in (("User", "USER"), ("WorkingDir", "WORKDIR")):
        if cfg.get(key):
            changes.append(f"{instruction} {cfg[key]}")
    for key, instruction in (("Entrypoint", "ENTRYPOINT"), ("Cmd", "CMD")):
        if cfg.get(key):
            changes.append(f"{instruction} {json.dumps(cfg[key])}")
    if cfg.get("Volumes"):
        changes.append(f"VOLUME {json.dumps(sorted(cfg['Volumes']))}")
    labels = {**(cfg.get("Labels") or {}), FLAT_LABEL: image.id}
    changes += [f"LABEL {k}={json.dumps(v)}" for k, v in labels.items()]
    holder = outer.containers.create(image.id, name=f"vigie-pul-flatten-{os.getpid()}")
    try:
        export = subprocess.Popen(["docker", "export", holder.id], stdout=subprocess.PIPE)
        args = [a for c in changes for a in ("--change", c)]
        subprocess.run(
            ["docker", "import", *args, "-", name],
            stdin=export.stdout, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        if export.wait() != 0:
            raise RuntimeError(f"docker export of {image.id} failed")
    finally:
        holder.remove(force=True)


def without_cli(phrase: str, state: dict, source_image: str | None) -> int:
    print(
        "lab-detectors: path taken: no pulumi CLI here; the lab stack runs under Pulumi's mocks "
        "and its declared containers are created with the docker SDK over SSH"
    )
    from vigie_stack.config import read_config
    from vigie_stack.mocked_run import run_under_mocks
    from vigie_stack.program import declare

    from lab.detectors.replay import PROVIDER, HostTarget, load_via_exec, replay
    from lab.detectors.ssh_docker import SshDockerSocket

    config, secret_keys = stackfile.resolve(STACK_FILE, phrase)
    try:
        mocks = run_under_mocks(config, secret_keys, "lab", lambda: declare(read_config()))
    except pulumi.RunError as exc:  # operator mistakes: already `where: RULE: message`
        fail(str(exc))
    outer = docker.from_env()
    targets: dict[str, HostTarget] = {}
    build_lock = threading.Lock()
    with ExitStack() as stack:
        for prov in mocks.of_type(PROVIDER):
            host_name = prov.name.removesuffix("-docker")
            opts = prov.inputs.get("sshOpts") or "[]"
            # Provider inputs reach the engine JSON-encoded.
            opts = json.loads(opts) if isinstance(opts, str) else opts
            url = stack.enter_context(SshDockerSocket(prov.inputs["host"], opts))

            container = state["hosts"][host_name]["container"]
            probe = subprocess.run(
                ["docker", "exec", container, "docker", "info"], capture_output=True, text=True
            )
            if probe.returncode != 0:
                fail(f"{host_name}: no Docker engine on the detector host (role detector_host)")

            def load(image: str, container: str = container) -> None:
                with build_lock:  # one local build, then every host loads it
                    ensure_local_image(outer, image, source_image)
                load_via_exec(outer, container)(image)

            targets[prov.name] = HostTarget(docker_url=url, load_image=load)
        report = replay(mocks, targets)
    for line in report.created:
        print(f"  created {line}")
    for line in report.kept:
        print(f"  unchanged {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, default=LAB_STATE, help="the lab's state.json")
    parser.add_argument(
        "--image", help="use this local detector image instead of detector_image/build-image.sh"
    )
    args = parser.parse_args(argv)
    state = lab_state(args.state)
    phrase = write_stack_file(state)
    if shutil.which("pulumi"):
        return with_cli(phrase)
    return without_cli(phrase, state, args.image)


if __name__ == "__main__":
    sys.exit(main())
