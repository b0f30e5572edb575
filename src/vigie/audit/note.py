"""C2SP signed notes: `tlog-checkpoint` signed with Ed25519, `tlog-cosignature` (v1).

A checkpoint is the text `<origin>\\n<size>\\n<base64 root>\\n`, then a blank line
and one signature line per signer: `— <name> <base64(key id || signature)>`.
The log's key id is SHA-256(name || "\\n" || 0x01 || public key)[:4]; a witness's
cosignature (type 0x04) signs `cosignature/v1\\ntime <t>\\n<checkpoint body>` and
carries the 8-byte time before the signature. Verifier keys are written in the
note format `<name>+<hex key id>+<base64(type || public key)>`.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519, COSIGNATURE = 0x01, 0x04
DASH = "\u2014"


class NoteError(Exception):
    pass


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, kind: int, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + _raw(public)).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    name: str
    kind: int
    public: Ed25519PublicKey

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    def same_key(self, other: Verifier) -> bool:
        """The same Ed25519 public key, whatever the names and types."""
        return _raw(self.public) == _raw(other.public)

    def text(self) -> str:
        raw = base64.b64encode(bytes([self.kind]) + _raw(self.public)).decode()
        return f"{self.name}+{self.id.hex()}+{raw}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        try:
            name, hexid, b64 = text.strip().split("+", 2)
            raw = base64.b64decode(b64, validate=True)
            v = cls(name, raw[0], Ed25519PublicKey.from_public_bytes(raw[1:]))
        except (ValueError, IndexError) as exc:
            raise NoteError(f"not a verifier key: {exc}") from None
        if v.kind not in (ED25519, COSIGNATURE) or v.id.hex() != hexid:
            raise NoteError("verifier key: wrong type or key id")
        return v


@dataclass(frozen=True)
class Signer:
    name: str
    kind: int
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.kind, self.private.public_key())

    @classmethod
    def generate(cls, name: str, kind: int = ED25519) -> Signer:
        return cls(name, kind, Ed25519PrivateKey.generate())

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, name: str, pem: bytes, kind: int = ED25519) -> Signer:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise NoteError("not an Ed25519 private key")
        return cls(name, kind, key)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


@dataclass
class SignedNote:
    body: str
    signatures: list[tuple[str, bytes]] = field(default_factory=list)  # (name, id || sig)

    def text(self) -> str:
        lines = [f"{DASH} {n} {base64.b64encode(s).decode()}\n" for n, s in self.signatures]
        return self.body + "\n" + "".join(lines)

    @classmethod
    def parse_bytes(cls, data: bytes) -> SignedNote:
        """The note exactly as stored: signatures are checked over these bytes."""
        try:
            return cls.parse(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise NoteError("not a signed note: not UTF-8") from None

    @classmethod
    def parse(cls, text: str) -> SignedNote:
        if "\r" in text:  # CRLF: not the bytes that were signed
            raise NoteError("not a signed note: carriage return in the text")
        body, sep, sigs = text.partition("\n\n")
        if not sep or not body:
            raise NoteError("not a signed note: no blank line after the body")
        if sigs and not sigs.endswith("\n"):
            raise NoteError("not a signed note: the last line has no newline")
        note = cls(body + "\n")
        for line in sigs.split("\n")[:-1] if sigs else []:
            try:
                dash, name, b64 = line.split(" ")
                sig = base64.b64decode(b64, validate=True)
            except ValueError:
                raise NoteError(f"bad signature line {line!r}") from None
            if dash != DASH or len(sig) < 5:
                raise NoteError(f"bad signature line {line!r}")
            note.signatures.append((name, sig))
        return note

    def checkpoint(self) -> Checkpoint:
        lines = self.body.split("\n")
        try:
            origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
        except (ValueError, IndexError):
            raise NoteError("not a checkpoint body") from None
        if not origin or size < 0 or len(root) != 32 or str(size) != lines[1]:
            raise NoteError("not a checkpoint body")
        return Checkpoint(origin, size, root)

    # --- signing -------------------------------------------------------------------------

    def sign(self, signer: Signer) -> None:
        sig = signer.private.sign(self.body.encode())
        self.signatures.append((signer.name, signer.verifier.id + sig))

    def cosign(self, signer: Signer, timestamp: int) -> None:
        t = struct.pack(">Q", timestamp)
        sig = signer.private.sign(_cosigned(self.body, timestamp))
        self.signatures.append((signer.name, signer.verifier.id + t + sig))

    def verify(self, verifier: Verifier) -> int | None:
        """True-ish when a valid signature by `verifier` is on the note: for a log key,
        0; for a cosignature, its timestamp. None when absent or invalid."""
        for name, sig in self.signatures:
            if name == verifier.name and sig[:4] == verifier.id:
                t = _check(verifier, self.body, sig)
                if t is not None:
                    return t
        return None

    def verify_all(self, verifier: Verifier) -> int | None:
        """As `verify`, but every signature line under the verifier's name and key id
        must verify (one bad line is not hidden by a good one): NoteError otherwise.
        A line under the same name with another key id is another key's, ignored."""
        found = None
        for name, sig in self.signatures:
            if name == verifier.name and sig[:4] == verifier.id:
                t = _check(verifier, self.body, sig)
                if t is None:
                    raise NoteError(f"a signature by {verifier.name} does not verify")
                found = t if found is None else found
        return found


def _check(verifier: Verifier, body: str, sig: bytes) -> int | None:
    try:
        if verifier.kind == ED25519:
            verifier.public.verify(sig[4:], body.encode())
            return 0
        (t,) = struct.unpack(">Q", sig[4:12])
        verifier.public.verify(sig[12:], _cosigned(body, t))
        return t
    except (InvalidSignature, struct.error):
        return None


def _cosigned(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()
