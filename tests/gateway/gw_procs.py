"""Real servers on 127.0.0.1 for the gateway tests: mosquitto, nginx, vigie-access.
Each is a subprocess that can be stopped and restarted (the fault tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from lab.localnet import free_port, port_open  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[2]


def wait_for(check, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def render(template: str, out: Path, **values) -> Path:
    """Render a role's template with the role's own variables through Ansible's
    Templar: the `template` action's engine and filters (regex_escape, ...)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    role = ROOT.joinpath(*Path(template).parts[:2])  # roles/<name>
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text()) or {}
    given = {**defaults, **{k: str(v) if isinstance(v, Path) else v for k, v in values.items()}}
    templar = Templar(loader=DataLoader(), variables=given)
    text = templar.template(trust_as_template((ROOT / template).read_text()))
    out.write_text(text if text.endswith("\n") else text + "\n")
    return out


def role_hand_over(doc: dict, out: Path) -> Path:
    """The model's hand-over as roles/access_gateway writes it: the `content` of its
    task, rendered by Ansible's Templar (the `copy` action writes that text)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    tasks = yaml.safe_load((ROOT / "roles/access_gateway/tasks/main.yml").read_text())
    copy = next(
        t["ansible.builtin.copy"]
        for t in tasks
        if str(t.get("ansible.builtin.copy", {}).get("dest", "")).endswith("/handover.json")
    )
    templar = Templar(loader=DataLoader(), variables={"access_gateway__handover": doc})
    out.write_text(templar.template(trust_as_template(copy["content"])))
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
