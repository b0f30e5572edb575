"""The operator's page in a real headless Chromium (Debian's, with its driver): it
lists the event, plays the clip through nginx auth_request (hls.js), records the
outcome; a screenshot is saved as a test artefact.

Headless Chromium cannot choose a client certificate without a system-wide
policy, so the operator's certificate is presented by a local TLS client (an
nginx on 127.0.0.1, as smart-card middleware would): the gateway still
authenticates the operator by mutual TLS and binds the token to that certificate.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from gw_procs import ROOT, free_port
from gw_support import SITE, need, nginx_proc

ARTEFACTS = Path(os.environ.get("VIGIE_ARTEFACTS", ROOT / ".cache/artefacts/gateway"))


@pytest.fixture(scope="module")
def workstation(gateway):
    """http://127.0.0.1:PORT -> the gateway, with dipn78's first operator's certificate."""
    port = free_port()
    cert, key = gateway.pki.certs[gateway.op("dipn78")]
    d = gateway.root / "workstation"
    d.mkdir(exist_ok=True)
    proc = nginx_proc(
        d,
        f"""server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass https://127.0.0.1:{gateway.https_port};
      proxy_ssl_certificate {cert};
      proxy_ssl_certificate_key {key};
      proxy_ssl_trusted_certificate {gateway.pki.ca};
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
    }}
  }}""",
        port,
    )
    yield f"http://127.0.0.1:{port}"
    proc.stop()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = need("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1280,1000",
                "--lang=fr-FR"):  # fmt: skip
        opts.add_argument(arg)
    drv = webdriver.Chrome(options=opts, service=Service(need("chromedriver")))
    yield drv
    drv.quit()


def wait(fn, timeout=30, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} not met within {timeout} s")


def test_page_shows_the_event_and_plays_the_clip(gateway, workstation, browser):
    from selenium.webdriver.common.by import By

    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=70)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, "portail", "intrusion", when)
    g = gateway.wait_grant(gateway.op("dipn78"), doc["time"])
    browser.get(f"{workstation}/operateur/#{g['id']}")
    assert "Levée de doute" in browser.find_element(By.TAG_NAME, "h1").text
    wait(lambda: g["id"] in browser.page_source, what="the event listed")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-grant="{g["id"]}"]')
    assert "Intrusion" in row.text and "portail" in row.text and "Ouvert" in row.text
    # The clip plays: frames of the camera's footage (768 px wide) and time advancing.
    wait(
        lambda: browser.execute_script(
            "const v = document.getElementById('video');"
            "return v.readyState >= 2 && v.videoWidth === 768 && v.currentTime > 1;"
        ),
        timeout=45,
        what="the clip playing",
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "operateur.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    # Every segment the page played went through auth_request, allowed and journaled.
    served = [
        e for e in gateway.journal_entries()
        if e["action"] == "segment_served" and e.get("event") == g["event_id"]
    ]  # fmt: skip
    assert served
    # The outcome of the levée de doute, then the false-alarm table.
    browser.find_element(By.ID, "fausse-alerte").click()
    wait(lambda: "fausse alerte" in browser.find_element(By.ID, "message").text.lower())
    wait(lambda: f"{SITE}/portail" in browser.find_element(By.ID, "taux-liste").text)
