"""The lab's secrets, generated once at lab time under `.lab/` (git-ignored).

No default password anywhere: the SSH key, the vault password and every camera
credential are random. Camera credentials are stored ansible-vault encrypted,
as production secrets are. There is no MQTT password: the broker knows clients
by their certificate only.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import yaml

# Only fills the Pulumi stack's `mqtt.username` (the broker ignores it).
MQTT_USER = "vigie-lab"
# What the vault holds; a vault holding anything else (e.g. the retired MQTT
# password of older labs) is rewritten without it.
VAULT_KEYS = {"vigie_camera_credentials"}
CAMERA_USER = "vigie-rec"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def ensure_ssh_key(lab: Path) -> Path:
    key = lab / "ssh" / "id_ed25519"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vigie-lab", "-f", str(key)],
            check=True,
        )
    return key


def ensure_secrets(lab: Path, credentials: list[str], bin_dir: Path) -> dict:
    """Vault password, camera credentials; returns the clear values."""
    vault_pass = lab / "vault-password"
    if not vault_pass.exists():
        _write_private(vault_pass, secrets.token_urlsafe(32) + "\n")
    (lab / "mqtt" / "password").unlink(missing_ok=True)  # retired: nothing reads it
    clear = lab / "secrets.clear.yml"  # only while encrypting; removed below
    vault_file = lab / "secrets.yml"
    values = load_secrets(lab, bin_dir) if vault_file.exists() else {}
    creds = values.get("vigie_camera_credentials", {})
    missing = [c for c in credentials if c not in creds]
    if vault_file.exists() and not missing and set(values) == VAULT_KEYS:
        return values
    for name in missing:
        creds[name] = {"username": CAMERA_USER, "password": secrets.token_urlsafe(18)}
    values = {"vigie_camera_credentials": creds}
    _write_private(clear, yaml.safe_dump(values, sort_keys=True))
    try:
        subprocess.run(
            [
                str(bin_dir / "ansible-vault"),
                "encrypt",
                "--vault-password-file",
                str(vault_pass),
                "--output",
                str(vault_file),
                str(clear),
            ],
            check=True,
            capture_output=True,
        )
    finally:
        clear.unlink(missing_ok=True)
    return values


def load_secrets(lab: Path, bin_dir: Path) -> dict:
    out = subprocess.run(
        [
            str(bin_dir / "ansible-vault"),
            "view",
            "--vault-password-file",
            str(lab / "vault-password"),
            str(lab / "secrets.yml"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return yaml.safe_load(out.stdout) or {}
