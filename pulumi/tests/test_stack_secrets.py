"""Pulumi passphrase format: compatible with the CLI, and no clear secret committed."""

import shutil

import pytest
from vigie_stack import stackfile
from vigie_stack.config import REPO_ROOT
from vigie_stack.passphrase import Crypter, PassphraseError

# From Pulumi's own test suite (pkg/secrets/passphrase): this encryptionsalt was
# written by the CLI for the passphrase "password".
CLI_SALT = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
TEST_PASSPHRASE = "tests-only passphrase"


def test_opens_a_salt_written_by_the_pulumi_cli():
    crypter = Crypter.from_salt("password", CLI_SALT)
    assert crypter.decrypt(crypter.encrypt("x")) == "x"


def test_wrong_passphrase_is_refused():
    with pytest.raises(PassphraseError, match="incorrect passphrase"):
        Crypter.from_salt("password123", CLI_SALT)


def test_secure_values_round_trip_and_are_not_clear(tmp_path):
    path = tmp_path / "Pulumi.t.yaml"
    shutil.copy(REPO_ROOT / "Pulumi.lab.yaml", path)
    creds = '{"cred-a": {"username": "u", "password": "s3cret-value"}}'
    stackfile.set_secret(path, "vigie:cameraCredentials", creds, TEST_PASSPHRASE)
    text = path.read_text()
    assert "s3cret-value" not in text and "encryptionsalt: v1:" in text
    assert "vigie:inventory: inventories/lab" in text  # the rest is kept as written
    config, secret_keys = stackfile.resolve(path, TEST_PASSPHRASE)
    assert config["vigie:cameraCredentials"] == creds
    assert secret_keys == ["vigie:cameraCredentials"]
    with pytest.raises(PassphraseError):
        stackfile.resolve(path, "another passphrase")


def keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys(v)


@pytest.mark.parametrize("stack", ["pilot", "production"])
def test_committed_stacks_keep_their_secrets_encrypted(stack):
    """The stack's one secret (camera credentials) is set by the infrastructure
    team at deploy time: committed, it can only be a ciphertext of the stack's
    passphrase. No MQTT password: the detectors' certificate is their credential."""
    data = stackfile.load(REPO_ROOT / f"Pulumi.{stack}.yaml")
    assert data["encryptionsalt"].startswith("v1:")
    config = data["config"]
    assert "vigie:mqttPassword" not in config
    creds = config.get("vigie:cameraCredentials")
    assert creds is None or (set(creds) == {"secure"} and creds["secure"].startswith("v1:"))
    # Everything else is plain settings: no password-like key at any depth.
    assert not [k for k in keys(config) if "password" in k.lower()]
    # Without the passphrase the program cannot open the stack at all.
    with pytest.raises(PassphraseError):
        stackfile.resolve(REPO_ROOT / f"Pulumi.{stack}.yaml", TEST_PASSPHRASE)
