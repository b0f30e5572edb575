"""The lab's view of its central host (CA, broker, access gateway; playbooks/central.yml).

The lab machine stands in for the operators' workstations and for the machine
that deploys the detectors: it takes the platform CA's certificate (public) and,
for the tests, an operator's certificate and key from the CA host, as an agency
receives its operators' credentials. Nothing here is used in production.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PKI_ROOT = "/etc/vigie-pki"


def _cat(container: str, path: str) -> bytes:
    return subprocess.run(
        ["docker", "exec", container, "cat", path], check=True, capture_output=True
    ).stdout


def fetch_ca(state: dict) -> Path:
    """Copy the platform CA's certificate to the path the state names (mqtt.ca_file)."""
    mqtt = state["mqtt"]
    target = Path(mqtt["ca_file"])
    target.parent.mkdir(parents=True, exist_ok=True)
    pem = _cat(mqtt["container"], mqtt["ca_source"])
    if not target.exists() or target.read_bytes() != pem:
        target.write_bytes(pem)
    return target


def identity_files(state: dict, name: str, into: Path) -> tuple[str, str]:
    """(cert, key) of one identity issued by roles/pki, copied under `into` (0600)."""
    folder = f"{PKI_ROOT}/issued/{name.replace('/', '_')}"
    container = state["central"][0]["container"]
    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = []
    for part in ("cert.pem", "key.pem"):
        path = into / f"{name.replace('/', '_')}-{part}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_cat(container, f"{folder}/{part}"))
        out.append(str(path))
    return out[0], out[1]
