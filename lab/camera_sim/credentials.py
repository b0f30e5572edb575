"""The lab cameras' credentials as the simulators read them (`--credentials FILE`).

The lab generates every camera credential once (lab/secrets.py, stored
ansible-vault encrypted for the recorders); each simulator gets a root-only
file with its credential's "user:password" line, bind-mounted read-only: the
password never appears in a command line or a container's environment.
"""

from __future__ import annotations

import os
from pathlib import Path

MOUNT = "/run/vigie-camera/credentials"


def credential_file(lab: Path, name: str, values: dict) -> Path:
    """.lab/cameras/<name>: 'user:password' (0600), rewritten when it changed."""
    credential = values["vigie_camera_credentials"][name]
    if isinstance(credential, str):
        line = credential
    else:
        line = f"{credential['username']}:{credential['password']}"
    path = lab / "cameras" / name
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists() or path.read_text().strip() != line:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(line + "\n")
    return path


def simulator_args(path: Path) -> tuple[list[str], list[str]]:
    """(docker run options, simulator arguments) requiring that credential."""
    return ["-v", f"{path}:{MOUNT}:ro"], ["--credentials", MOUNT]
