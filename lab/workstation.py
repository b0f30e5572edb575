"""An operator's workstation for the page tests: Debian's headless Chromium and
its driver, behind a local TLS client that presents the operator's certificate.

Headless Chromium cannot choose a client certificate without a system-wide
policy, so the certificate is presented by an nginx on 127.0.0.1 (as smart-card
middleware would): the gateway still authenticates the operator by mutual TLS
and binds the token to that certificate. Shared by the loopback gateway tests
(tests/gateway/test_page.py) and the lab's (tests/lab/test_levee_page.py).
A missing binary fails the run, it never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from lab.localnet import free_port, port_open


def need(binary: str) -> str:
    path = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None
    )
    if path is None:
        raise RuntimeError(
            f"{binary} is required (scripts/apt-packages.txt; make setup installs it)"
        )
    return path


def wait(fn, timeout: float = 30, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} not met within {timeout} s")


def shot(browser, folder: Path, name: str) -> Path:
    """A screenshot kept as a test artefact (a blank page would be a few kB)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, path
    return path


def chromium():
    """Headless Chromium (French, autoplay allowed); the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = need("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1280,1000",
                "--lang=fr-FR"):  # fmt: skip
        opts.add_argument(arg)
    return webdriver.Chrome(options=opts, service=Service(need("chromedriver")))


class CertificateProxy:
    """http://127.0.0.1:PORT -> https://UPSTREAM with one operator's certificate."""

    def __init__(self, folder: Path, upstream: str, cert, key, ca, server_name: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = folder / "nginx.conf"
        temp = " ".join(f"{k}_temp_path {folder}/{k};" for k in ("client_body", "proxy",
                        "fastcgi", "uwsgi", "scgi"))  # fmt: skip
        conf.write_text(f"""daemon off;
user root;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {folder}/access.log;
  {temp}
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      proxy_pass https://{upstream};
      proxy_ssl_certificate {cert};
      proxy_ssl_certificate_key {key};
      proxy_ssl_trusted_certificate {ca};
      proxy_ssl_verify on;
      proxy_ssl_name {server_name};
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }}
  }}
}}
""")
        log = (folder / "stdout").open("ab")
        self.proc = subprocess.Popen(
            [need("nginx"), "-c", str(conf), "-e", str(folder / "error.log")],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        end = time.monotonic() + 30
        while not port_open(self.port):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"workstation proxy did not start: {conf}\n"
                                   f"{(folder / 'error.log').read_text()[-2000:]}")  # fmt: skip
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
