"""Real servers on 127.0.0.1 for the gateway tests: mosquitto, nginx, vigie-access.
Each is a subprocess that can be stopped and restarted (the fault tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import jinja2
from localnet import free_port, port_open  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[2]


def wait_for(check, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def render(template: str, out: Path, **values) -> Path:
    """Render a role's template with the role's own variables, as Ansible would."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    text = env.from_string((ROOT / template).read_text()).render(**values)
    out.write_text(text)
    return out


class Proc:
    def __init__(self, name: str, argv: list[str], log: Path, ready, env=None):
        self.name, self.argv, self.log, self.ready, self.env = name, argv, log, ready, env
        self.p: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Proc:
        fh = self.log.open("ab")
        self.p = subprocess.Popen(self.argv, stdout=fh, stderr=subprocess.STDOUT, env=self.env)
        try:
            wait_for(lambda: self.p.poll() is None and self.ready(), timeout, self.name)
        except TimeoutError:
            self.stop()
            raise RuntimeError(
                f"{self.name} did not start:\n{self.log.read_text()[-3000:]}"
            ) from None
        return self

    def stop(self, sig: int = 15) -> None:
        if self.p and self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None

    def restart(self) -> None:
        self.stop()
        self.start()


def service_proc(config: Path, log: Path, socket_path: Path) -> Proc:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return Proc(
        "vigie-access",
        [sys.executable, "-m", "vigie_access", "run", "--config", str(config)],
        log,
        socket_path.exists,
        env,
    )
