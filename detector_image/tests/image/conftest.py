"""The built image as a running container: camera simulator (vigie/camera-sim) on
its own Docker network, a real mosquitto on the host loopback with a generated
password, the detector container read-only and non-root. Names: vigie-det-*."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from dockerkit import ROOT, SUFFIX, Subscriber, create_network, free_port, sh, wait_for


@pytest.fixture(scope="session")
def images():
    sh("bash", str(ROOT / "lab" / "camera_sim" / "build.sh"))
    return sh("bash", str(ROOT / "detector_image" / "build-image.sh"))


@pytest.fixture(scope="session")
def image_uid(images) -> str:
    """The image's account, as built (the model's uid)."""
    return sh("docker", "run", "--rm", "--entrypoint", "id", images, "-u").strip()


@pytest.fixture(scope="session")
def camera(images):
    net = f"vigie-det-test-{SUFFIX}"
    subnet = create_network(net)
    address = subnet.rsplit(".", 1)[0] + ".10"
    name = f"vigie-det-camsim-{SUFFIX}"
    sh(
        "docker",
        "run",
        "-d",
        "--name",
        name,
        "--network",
        net,
        "--ip",
        address,
        "vigie/camera-sim:bookworm",
    )
    yield {"name": name, "address": address}
    sh("docker", "rm", "-f", name, check=False)
    sh("docker", "network", "rm", net, check=False)


@pytest.fixture(scope="session")
def broker():
    # mosquitto drops root for its own user: it must be able to read this folder.
    d = Path(tempfile.mkdtemp(prefix="vigie-det-mosquitto-"))
    d.chmod(0o755)
    user, password = "detector", secrets.token_urlsafe(24)  # generated here, never stored
    sh("mosquitto_passwd", "-b", "-c", str(d / "passwd"), user, password)
    port = free_port()
    (d / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {d / 'passwd'}\n"
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(d / "mosquitto.conf")], stderr=subprocess.DEVNULL
    )
    wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, "mosquitto")
    yield {"port": port, "user": user, "password": password}
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def subscriber(broker):
    sub = Subscriber(broker["port"], broker["user"], broker["password"])
    yield sub
    sub.stop()


@pytest.fixture(scope="session")
def detector(images, image_uid, camera, broker, subscriber, tmp_path_factory):
    d = tmp_path_factory.mktemp("detector")
    (d / "secrets").mkdir()
    (d / "secrets" / "mqtt_password").write_text(broker["password"])
    os.chmod(d / "secrets" / "mqtt_password", 0o444)
    metrics_port = free_port()
    config = {
        "mqtt": {
            "host": "127.0.0.1",
            "port": broker["port"],
            "username": broker["user"],
            "password_file": "/run/secrets/mqtt_password",
            "client_id": "vigie-det-test",
        },
        "metrics": {"address": "127.0.0.1", "port": metrics_port},
        "cameras": [
            {
                "id": "cam1",
                "site": "site-a",
                "url": f"rtsp://{camera['address']}:554/stream",
                "opening_hours": None,
                "detection": {
                    "classes": ["intrusion", "tamper", "fire"],
                    "zones": {"floor": [[0, 0.3], [1, 0.3], [1, 1], [0, 1]]},
                    "tamper": {"signal_loss_after_s": 4},
                },
                "privacy_masks": [[[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]]],
            }
        ],
    }
    (d / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    os.chmod(d, 0o755)
    name = f"vigie-det-detector-{SUFFIX}"
    # Host network: reaches the loopback broker and the camera's Docker network.
    sh(
        "docker", "run", "-d", "--name", name, "--network", "host",
        "--read-only", "--tmpfs", "/tmp",
        "--tmpfs", f"/var/lib/vigie-detector/snapshots:uid={image_uid},gid={image_uid},mode=0750",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "-v", f"{d / 'config.yml'}:/etc/vigie-detector/config.yml:ro",
        "-v", f"{d / 'secrets'}:/run/secrets:ro",
        images,
    )  # fmt: skip
    yield {"name": name, "metrics": f"http://127.0.0.1:{metrics_port}/metrics"}
    logs = subprocess.run(["docker", "logs", "--tail", "30", name], capture_output=True, text=True)
    print(logs.stdout, logs.stderr)
    sh("docker", "rm", "-f", "-v", name, check=False)
