"""`vigie-access`: the levée de doute service (docs/levee-de-doute.md).

    vigie-access run --config /etc/vigie-access/config.yml
    vigie-access keygen /etc/vigie-access/keys      (once, on the host: keys never in git)

Exit codes: 0 stopped cleanly, 1 failed to start, 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

TOKEN_KEY = "token.key"
EXPORT_KEY = "export-ed25519.pem"


def keygen(folder: Path) -> None:
    """Create the service's secret keys if missing (mode 0600)."""
    from vigie.access_policy.tokens import TokenAuthority
    from vigie_access.journal import ensure_key

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = folder / TOKEN_KEY
    if not token.exists():
        token.write_bytes(TokenAuthority.new_key().hex().encode())
        token.chmod(0o600)
    ensure_key(folder)
    export = folder / EXPORT_KEY
    if not export.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        export.write_bytes(pem)
        export.chmod(0o600)


def run(config_path: str) -> int:
    import yaml
    from pydantic import ValidationError

    from vigie_access import app as http
    from vigie_access import handover
    from vigie_access.config import load
    from vigie_access.exports import Exporter
    from vigie_access.metrics import Metrics
    from vigie_access.service import build_core

    try:
        cfg = load(config_path)
    except (OSError, ValueError, yaml.YAMLError) as exc:  # pydantic's errors are ValueErrors
        detail = exc if not isinstance(exc, ValidationError) else _problems(exc)
        print(f"vigie-access: {config_path}: bad configuration: {detail}", file=sys.stderr)
        return 1
    try:
        doc = handover.load(cfg.handover)
    except handover.HandOverInvalid as exc:
        print(f"vigie-access: {exc}", file=sys.stderr)
        return 1
    metrics = Metrics()
    core, bus = build_core(cfg, doc, metrics)
    exporter = Exporter(core, cfg.exports, _export_key(cfg))
    api = http.Api(
        core, exporter, metrics, cfg.settle_seconds, cfg.delivery_log, cfg.session_idle_s
    )
    if os.path.exists(cfg.socket):
        os.unlink(cfg.socket)
    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        bus.start()
        await http.serve(http.build(api), cfg.socket, stop)
        bus.stop()
        core.journal.close()

    _event_loop_run(main())
    return 0


def _problems(exc) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _event_loop_run(coro) -> None:
    """uvloop (libuv) when installed: it halves the event loop's share of a
    decision; the standard loop otherwise (same behaviour, slower)."""
    try:
        import uvloop
    except ImportError:
        logging.getLogger("vigie-access").warning("uvloop missing: standard asyncio loop")
        asyncio.run(coro)
        return
    uvloop.run(coro)


def _export_key(cfg) -> Ed25519PrivateKey:
    data = (Path(cfg.keys) / EXPORT_KEY).read_bytes()
    return serialization.load_pem_private_key(data, password=None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vigie-access", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="serve nginx's auth_request, the API and MQTT")
    r.add_argument("--config", required=True)
    k = sub.add_parser("keygen", help="create the token and export-signing keys if missing")
    k.add_argument("folder", type=Path)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.cmd == "keygen":
        keygen(args.folder)
        return 0
    return run(args.config)


if __name__ == "__main__":
    sys.exit(main())
