"""Read and write ``Pulumi.<stack>.yaml`` like the CLI does (passphrase provider).

    PULUMI_CONFIG_PASSPHRASE=... python pulumi/vigie_stack/stackfile.py \\
        set-secret Pulumi.pilot.yaml vigie:cameraCredentials < credentials.json

``resolve`` turns a stack file into the plain ``{key: value}`` map and the list
of secret keys that ``pulumi.runtime.set_all_config`` expects, for the lab path
without the CLI and for tests.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from vigie_stack.passphrase import Crypter, PassphraseError, passphrase_from_env


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # keep ciphertexts on one line
    yaml.explicit_start = True
    return yaml


def load(path: Path) -> Any:
    return _yaml().load(path.read_text()) or {}


def dump(path: Path, data: Any) -> None:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    path.write_text(buf.getvalue())


def crypter_for(data: Any, passphrase: str) -> Crypter:
    """The stack's crypter; creates the ``encryptionsalt`` on first use."""
    if "encryptionsalt" in data:
        return Crypter.from_salt(passphrase, data["encryptionsalt"])
    crypter, salt = Crypter.new(passphrase)
    data.insert(0, "encryptionsalt", salt)
    return crypter


def set_secret(path: Path, key: str, value: str, passphrase: str) -> None:
    data = load(path)
    crypter = crypter_for(data, passphrase)
    data.setdefault("config", {})[key] = {"secure": crypter.encrypt(value)}
    dump(path, data)


def _reveal(value: Any, crypter: Crypter | None) -> tuple[Any, bool]:
    if isinstance(value, dict) and set(value) == {"secure"}:
        if crypter is None:
            raise PassphraseError("stack file has secrets but no encryptionsalt")
        return crypter.decrypt(value["secure"]), True
    if isinstance(value, dict):
        pairs = {k: _reveal(v, crypter) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        pairs = [_reveal(v, crypter) for v in value]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return value, False


def resolve(path: Path, passphrase: str | None) -> tuple[dict[str, str], list[str]]:
    """Plain config map (structured values as JSON, like the CLI) and secret keys."""
    data = load(path)
    crypter = Crypter.from_salt(passphrase, data["encryptionsalt"]) if passphrase else None
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, raw in (data.get("config") or {}).items():
        value, secret = _reveal(raw, crypter)
        config[key] = value if isinstance(value, str) else json.dumps(value)
        if secret:
            secret_keys.append(key)
    return config, secret_keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    setp = sub.add_parser("set-secret", help="encrypt stdin as KEY in STACK_FILE")
    setp.add_argument("stack_file", type=Path)
    setp.add_argument("key")
    args = parser.parse_args(argv)
    try:
        set_secret(args.stack_file, args.key, sys.stdin.read().rstrip("\n"), passphrase_from_env())
    except PassphraseError as exc:
        print(f"{args.stack_file}: PULUMI-PASSPHRASE: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
