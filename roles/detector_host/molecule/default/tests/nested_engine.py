"""The molecule host runs its own Docker engine (the role's): images reach it
from the machine's engine with `docker save | docker load` (no registry here)."""

import subprocess

HOST = "vigie-mol-detector_host"
IMAGE = "vigie/debian-slim:bookworm"


def load_image(host, image: str = IMAGE) -> str:
    """Pass a locally built image into the nested engine, once."""
    if host.run(f"docker image inspect {image}").rc != 0:
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "exec", "-i", HOST, "docker", "load"],
            stdin=save.stdout,
            check=True,
            capture_output=True,
        )
        save.wait()
    return image
