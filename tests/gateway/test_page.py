"""The operator's page in a real headless Chromium (Debian's, with its driver): it
lists the event, shows its still image and plays the clip through nginx
auth_request (hls.js), records the outcome; a supervisor opens a camera by
break-glass; an officer records a judicial requisition and the designee approves
it from the page. Screenshots are saved as test artefacts.

The operator's certificate is presented by a local TLS client
(lab/workstation.py): headless Chromium cannot choose one.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from lab import workstation as ws
from tests.gateway.gw_footage import file_segments
from tests.gateway.gw_procs import ROOT
from tests.gateway.services import SEGMENT_S, SITE

ARTEFACTS = Path(os.environ.get("VIGIE_ARTEFACTS", ROOT / ".cache/artefacts/gateway"))
wait = ws.wait


@pytest.fixture(scope="module")
def workstation(gateway):
    """workstation(CN) -> http://127.0.0.1:PORT, the gateway seen with CN's certificate."""
    started: dict[str, ws.CertificateProxy] = {}

    def open_as(cn: str) -> str:
        if cn not in started:
            cert, key = gateway.pki.certs[cn]
            started[cn] = ws.CertificateProxy(
                gateway.root / f"workstation-{cn.replace('/', '-')}",
                f"127.0.0.1:{gateway.https_port}", cert, key, gateway.pki.ca, "localhost",
            )  # fmt: skip
        return started[cn].url

    yield open_as
    for proxy in started.values():
        proxy.stop()


@pytest.fixture(scope="module")
def browser():
    drv = ws.chromium()
    yield drv
    drv.quit()


def shot(browser, name: str) -> None:
    ws.shot(browser, ARTEFACTS, name)


def supervisor(gateway, agency: str) -> str:
    return next(p for p in gateway.people[agency] if "/sup-" in p)


def test_page_shows_the_event_and_plays_the_clip(gateway, workstation, browser):
    from selenium.webdriver.common.by import By

    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=70)
    snap = gateway.make_snapshot(SITE, "portail", when, "intrusion", "person")
    doc = gateway.publish_event(f"{SITE}-det1", SITE, "portail", "intrusion", when, snapshot=snap)
    g = gateway.wait_grant(gateway.op("dipn78"), doc["time"])
    browser.get(f"{workstation(gateway.op('dipn78'))}/operateur/#{g['id']}")
    assert "Levée de doute" in browser.find_element(By.TAG_NAME, "h1").text
    wait(lambda: g["id"] in browser.page_source, what="the event listed")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-grant="{g["id"]}"]')
    assert "Intrusion" in row.text and "portail" in row.text and "Ouvert" in row.text
    assert "Oui" in row.text  # a still image is offered
    # The still image, fetched through auth_request with the token, decoded by the browser.
    wait(
        lambda: browser.execute_script(
            "const i = document.getElementById('image-evenement');"
            "return !document.getElementById('instantane').hidden && i.complete"
            " && i.naturalWidth === 768;"
        ),
        what="the event's snapshot shown",
    )
    # The clip plays: frames of the camera's footage (768 px wide) and time advancing.
    wait(
        lambda: browser.execute_script(
            "const v = document.getElementById('video');"
            "return v.readyState >= 2 && v.videoWidth === 768 && v.currentTime > 1;"
        ),
        timeout=45,
        what="the clip playing",
    )
    shot(browser, "operateur.png")
    # The operator is no supervisor: no break-glass form.
    assert not browser.find_element(By.ID, "bris-de-glace").is_displayed()
    # Every segment the page played went through auth_request, allowed and journaled.
    served = [
        e for e in gateway.journal_entries()
        if e["action"] == "segment_allowed" and e.get("event") == g["event_id"]
    ]  # fmt: skip
    assert served
    assert any(
        e["action"] == "snapshot_allowed" and e.get("event") == g["event_id"]
        for e in gateway.journal_entries()
    )
    # The outcome of the levée de doute, then the false-alarm table.
    browser.find_element(By.ID, "fausse-alerte").click()
    wait(lambda: "fausse alerte" in browser.find_element(By.ID, "message").text.lower())
    wait(lambda: f"{SITE}/portail" in browser.find_element(By.ID, "taux-liste").text)


def test_break_glass_from_the_page(gateway, workstation, browser):
    """A supervisor opens a camera with a written reason; the page says the DPO is
    alerted; the journal flags the access for review."""
    from selenium.webdriver.common.by import By

    sup = supervisor(gateway, "dipn78")
    browser.get(f"{workstation(sup)}/operateur/")
    wait(lambda: browser.find_element(By.ID, "bris-de-glace").is_displayed(), what="the form")
    browser.find_element(By.ID, "bris-camera").send_keys(f"{SITE}/hall")
    browser.find_element(By.ID, "bris-motif").send_keys("Appel au 17 : effraction signalée")
    n = len(gateway.journal_entries())
    browser.find_element(By.ID, "bris").click()
    wait(
        lambda: "Bris de glace accordé" in browser.find_element(By.ID, "message").text,
        what="break-glass granted",
    )
    assert "délégué à la protection des données" in browser.find_element(By.ID, "message").text
    wait(lambda: "Bris de glace ouvert" in browser.find_element(By.ID, "liste").text)
    entry = next(e for e in gateway.journal_entries()[n:] if e["action"] == "break_glass")
    assert entry["decision"] == "allow" and entry["review"] is True
    assert entry["actor"]["operator"] == sup
    shot(browser, "bris-de-glace.png")


def set_local_time(browser, element_id: str, when: dt.datetime) -> None:
    """A datetime-local field holds the browser's local time."""
    browser.execute_script(
        "const d = new Date(arguments[1]), p = (n) => String(n).padStart(2, '0');"
        "document.getElementById(arguments[0]).value = `${d.getFullYear()}-${p(d.getMonth() + 1)}"
        "-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;",
        element_id,
        int(when.timestamp() * 1000),
    )


def test_requisition_recorded_by_an_officer_and_approved_by_the_designee(
    gateway, workstation, browser
):
    from selenium.webdriver.common.by import By

    site, cam = "mairie-sartrouville", "parvis"  # recorded at the datacenter
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(minutes=4, seconds=now.second % SEGMENT_S)
    file_segments(gateway.parts, gateway.storage, f"{site}-{cam}", start, 20, SEGMENT_S)
    officer = gateway.op("dipn78")
    browser.get(f"{workstation(officer)}/operateur/")
    wait(lambda: browser.find_element(By.ID, "requisition").is_displayed(), what="the form")
    browser.find_element(By.ID, "req-camera").send_keys(f"{site}/{cam}")
    set_local_time(browser, "req-debut", start)
    set_local_time(browser, "req-fin", start + dt.timedelta(seconds=30))
    procedure = "PV 2026/004711 — réquisition art. 77-1-1 CPP"
    browser.find_element(By.ID, "req-procedure").send_keys(procedure)
    browser.find_element(By.ID, "requerir").click()
    wait(
        lambda: "enregistrée" in browser.find_element(By.ID, "message").text,
        what="requisition recorded",
    )
    wait(lambda: "en attente d'approbation" in browser.find_element(By.ID, "liste").text)
    # The holder's designee sees it and approves it: the export is produced.
    browser.get(f"{workstation('pm-sartrouville/sup-0001')}/operateur/")
    wait(lambda: procedure in browser.find_element(By.ID, "req-liste").text, what="listed")
    row = next(
        r for r in browser.find_elements(By.CSS_SELECTOR, "#req-liste tr") if procedure in r.text
    )
    row.find_element(By.TAG_NAME, "button").click()
    wait(
        lambda: "Réquisition approuvée" in browser.find_element(By.ID, "message").text,
        timeout=60,
        what="export produced",
    )
    shot(browser, "requisition.png")
    export = next(
        e
        for e in reversed(gateway.journal_entries())
        if e["action"] == "export" and e.get("reason") == procedure
    )
    assert export["actor"]["operator"] == "pm-sartrouville/sup-0001"
    assert (gateway.service_dir / "exports" / export["export"] / "manifest.json").exists()
