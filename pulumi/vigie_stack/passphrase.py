"""Pulumi's passphrase secrets format, for committed ``Pulumi.<stack>.yaml`` files.

The Pulumi CLI cannot be installed on these machines, yet the stack files must
carry encrypted secrets that the CLI reads. This is the CLI's documented
passphrase provider, implemented with ``cryptography``:

- ``encryptionsalt: v1:<b64 salt>:<ciphertext of "pulumi">`` — 8 random bytes of
  salt, the key is PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 rounds, 32 bytes);
- every secret value ``secure: v1:<b64 12-byte nonce>:<b64 AES-256-GCM ciphertext+tag>``.

The passphrase comes from ``PULUMI_CONFIG_PASSPHRASE`` (or ``..._FILE``), exactly
as for the CLI, and is never written in the repository.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PBKDF2_ROUNDS = 1_000_000
VERIFIER = "pulumi"


class PassphraseError(Exception):
    """Wrong passphrase, missing passphrase or malformed ciphertext."""


def passphrase_from_env() -> str:
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    path = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        return Path(path).read_text().rstrip("\n")
    raise PassphraseError(
        "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE"
    )


def _key(passphrase: str, salt: bytes) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=PBKDF2_ROUNDS)
    return kdf.derive(passphrase.encode())


class Crypter:
    """Encrypts and decrypts ``secure:`` values of one stack."""

    def __init__(self, key: bytes):
        self._aes = AESGCM(key)

    @classmethod
    def new(cls, passphrase: str) -> tuple[Crypter, str]:
        """A fresh salt: returns the crypter and the ``encryptionsalt`` line's value."""
        salt = os.urandom(8)
        crypter = cls(_key(passphrase, salt))
        return crypter, f"v1:{base64.b64encode(salt).decode()}:{crypter.encrypt(VERIFIER)}"

    @classmethod
    def from_salt(cls, passphrase: str, encryptionsalt: str) -> Crypter:
        """Open an existing stack; a wrong passphrase fails here, as with the CLI."""
        parts = encryptionsalt.split(":", 2)
        if len(parts) != 3 or parts[0] != "v1":
            raise PassphraseError(f"malformed encryptionsalt: {encryptionsalt!r}")
        crypter = cls(_key(passphrase, base64.b64decode(parts[1])))
        if crypter.decrypt(parts[2]) != VERIFIER:
            raise PassphraseError("incorrect passphrase")
        return crypter

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aes.encrypt(nonce, plaintext.encode(), None)
        return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"

    def decrypt(self, ciphertext: str) -> str:
        parts = ciphertext.split(":")
        if len(parts) != 3 or parts[0] != "v1":
            raise PassphraseError(f"malformed secret value: {ciphertext[:12]}...")
        try:
            plain = self._aes.decrypt(base64.b64decode(parts[1]), base64.b64decode(parts[2]), None)
        except InvalidTag as exc:
            raise PassphraseError("incorrect passphrase") from exc
        return plain.decode()
