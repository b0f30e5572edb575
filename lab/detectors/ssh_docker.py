"""Reach a remote Docker engine the way the Pulumi docker provider does for ``ssh://``.

The provider runs ``ssh [ssh_opts] user@host docker system dial-stdio`` per
connection. The docker SDK cannot pass SSH options, so this serves a local
UNIX socket that does exactly that for each client connection.
"""

from __future__ import annotations

import socket
import socketserver
import subprocess
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        proc = subprocess.Popen(
            self.server.ssh_command,  # type: ignore[attr-defined]
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        sock: socket.socket = self.request

        def upstream() -> None:
            try:
                while data := sock.recv(65536):
                    proc.stdin.write(data)
                    proc.stdin.flush()
            except OSError:
                pass
            finally:
                proc.stdin.close()

        thread = threading.Thread(target=upstream, daemon=True)
        thread.start()
        try:
            while data := proc.stdout.read1(65536):
                sock.sendall(data)
        except OSError:
            pass
        finally:
            proc.kill()
            proc.wait()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class SshDockerSocket:
    """``with SshDockerSocket(url, opts) as base_url: docker.DockerClient(base_url)``."""

    def __init__(self, url: str, ssh_opts: list[str]):
        parts = urlsplit(url)
        if parts.scheme != "ssh":
            raise ValueError(f"not an ssh:// Docker host: {url}")
        target = f"{parts.username}@{parts.hostname}" if parts.username else parts.hostname
        port = ["-p", str(parts.port)] if parts.port else []
        self.command = ["ssh", *ssh_opts, *port, "--", target, "docker system dial-stdio"]
        self._dir = tempfile.TemporaryDirectory(prefix="vigie-pul-ssh-")
        self.path = Path(self._dir.name) / "docker.sock"

    def __enter__(self) -> str:
        self._server = _Server(str(self.path), _Handler)
        self._server.ssh_command = self.command  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return f"unix://{self.path}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._dir.cleanup()
