"""The levée de doute in the lab, by real traffic only.

A lab camera simulator is paused: the detector that watches it (Pulumi lab
stack, TLS client certificate of its host) raises a real `signal_loss` tamper
event on the central broker; the central access service grants the competent
agencies and notifies each on its own topic. Every agency listens with its own
identity (certificates of the platform's CA, from the central host). The
competent operator then plays the window through the central nginx with its
client certificate; everyone else is refused (403) and journaled. Last, the
central host's operator page, in headless Chromium, plays the clip and records
the outcome (screenshot in .cache/artefacts/lab/).
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import cv2
import pytest

from lab import levee
from lab import workstation as ws
from tests.lab.levee_actors import (
    ADMIN,
    JOURNAL,
    JOURNAL_VKEY,
    VIGIE,
    any_segment,
    client,
    journal,
    journaled,
    operator,
)
from vigie.access_policy.events import Event
from vigie.access_policy.policy import AccessPolicy

pytestmark = pytest.mark.docker

# Not the camera `make lab` shows (lab.levee.DEMO_CAMERA): the detector raises
# one event per kind and camera per cool-down.
CAMERA_HOST = "col-rameau-versailles-portail"
ARTEFACTS = Path(__file__).resolve().parents[2] / ".cache/artefacts/lab"


@pytest.fixture(scope="module")
def provoked(lab, workdir) -> levee.Provoked:
    p = levee.provoke(lab, CAMERA_HOST, workdir)
    assert p.event is not None, f"no tamper event from {CAMERA_HOST} after pausing it"
    return p


@pytest.fixture(scope="module")
def competent(inv, provoked) -> set[str]:
    """The policy's answer for this event (what the service must have done)."""
    cam = provoked.camera
    pairs = AccessPolicy.from_inventory(inv).competent_agencies(
        f"{cam['site']}/{levee.camera_id(cam)}", Event("detector", "tamper")
    )
    return {agency for agency, _rule in pairs}


def test_the_detectors_event_is_real_and_from_the_paused_camera(provoked):
    ev = provoked.event
    assert (ev["site"], ev["camera"]) == (
        provoked.camera["site"],
        levee.camera_id(provoked.camera),
    )
    assert ev["class"] == "tamper" and ev["kind"] in ("signal_loss", "frozen")
    print(f"pause -> event at the broker: {provoked.event_at - provoked.paused_at:.1f} s")


def test_notified_within_5_s_on_the_competent_agencies_topics_only(provoked, competent):
    assert competent, "the policy names at least one competent agency"
    notified = {a for a, got in provoked.notified.items() if got}
    assert notified == competent
    delays = {a: provoked.first_notification(a)[0] - provoked.event_at for a in competent}
    print(f"event -> notification: {', '.join(f'{a} {s:.3f} s' for a, s in delays.items())}")
    assert max(delays.values()) < 5, delays
    for a in competent:
        note = provoked.first_notification(a)[1]
        assert note["camera"] == levee.camera_id(provoked.camera) and note["class"] == "tamper"


@pytest.fixture(scope="module")
def viewing(lab, workdir, inv, provoked, competent):
    """The first competent agency's operator: its grant, token and the window's playlist."""
    agency = sorted(competent)[0]
    op = client(lab, workdir, operator(inv, agency))
    grant = levee.grant_of(op, provoked)
    assert grant is not None, f"{op.identity} sees no grant for the event"
    s = op.session()
    r = s.post(f"{op.url}/api/grants/{grant['id']}/token", timeout=10)
    assert r.status_code == 200, r.text
    tok = r.json()["token"]
    pl = s.get(
        f"{op.url}/hls/{grant['id']}/index.m3u8",
        headers={"Authorization": f"Bearer {tok}"},
        timeout=20,
    )
    assert pl.status_code == 200, pl.text
    segs = [line for line in pl.text.splitlines() if line.endswith(".ts")]
    return {"op": op, "grant": grant, "token": tok, "segments": segs, "playlist": pl.text}


def test_the_competent_operator_plays_frames_of_that_camera(viewing, provoked, workdir):
    op, g, tok = viewing["op"], viewing["grant"], viewing["token"]
    assert viewing["segments"], f"no segment in the window:\n{viewing['playlist']}"
    assert all(s.startswith(f"{provoked.camera['id']}/") for s in viewing["segments"])
    clip = workdir / "clip.ts"
    s = op.session()
    with clip.open("wb") as fh:
        for seg in viewing["segments"][-3:]:
            r = s.get(
                f"{op.url}/hls/{g['id']}/{seg}",
                headers={"Authorization": f"Bearer {tok}"},
                timeout=30,
            )
            assert r.status_code == 200, (seg, r.status_code)
            fh.write(r.content)
    probe = subprocess.run(
        [
            "ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", str(clip),
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["codec_name"] == "h264" and int(stream["nb_read_frames"]) >= 20, stream
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    assert ok and frame is not None and frame.size > 0


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        ("ggd78", "ACCESS-GRANT-AGENCY"),  # another agency (gendarmerie, not in Versailles)
        ("pm-sartrouville", "ACCESS-GRANT-AGENCY"),  # police municipale of another commune
        ("sdis78", "ACCESS-GRANT-AGENCY"),  # the SDIS, on a tamper
        ("admin", "ACCESS-ADMIN-NEVER"),  # a platform administrator
    ],
)
def test_others_are_refused_and_journaled(lab, workdir, inv, viewing, competent, who, rule):
    name = ADMIN if who == "admin" else operator(inv, who)
    assert name.partition("/")[0] not in competent
    other = client(lab, workdir, name)
    n = len(journal(lab))
    g = viewing["grant"]
    r = other.session().post(f"{other.url}/api/grants/{g['id']}/token", timeout=10)
    assert r.status_code == 403 and r.json()["rule"] == rule, r.text
    journaled(lab, rule, name, n)
    # Nor with the competent operator's token (bound to another certificate).
    seg = other.session().get(
        f"{other.url}/hls/{g['id']}/{any_segment(viewing)}",
        headers={"Authorization": f"Bearer {viewing['token']}"},
        timeout=10,
    )
    assert seg.status_code == 403


def test_a_forged_token_is_refused_and_journaled(lab, viewing):
    body, _, mac = viewing["token"].rpartition(".")
    forged = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    op = viewing["op"]
    n = len(journal(lab))
    r = op.session().get(
        f"{op.url}/hls/{viewing['grant']['id']}/index.m3u8",
        headers={"Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert r.status_code == 403
    journaled(lab, "ACCESS-TOKEN-FORGED", op.identity, n)


def test_a_dot_dot_path_is_refused_and_journaled(lab, viewing):
    """Sent as is (no client normalisation)."""
    op = viewing["op"]
    ctx = ssl.create_default_context(cafile=op.ca)
    ctx.load_cert_chain(op.cert, op.key)
    conn = http.client.HTTPSConnection(lab["central"][0]["address"], 443, context=ctx, timeout=10)
    n = len(journal(lab))
    conn.request(
        "GET",
        f"/hls/{viewing['grant']['id']}/../../../etc/passwd",
        headers={"Authorization": f"Bearer {viewing['token']}"},
    )
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 403 and b"root:" not in body, (resp.status, body[:200])
    journaled(lab, "ACCESS-PATH", op.identity, n)


def test_the_lab_journal_verifies_and_an_edit_is_caught(lab, viewing, tmp_path):
    container = lab["central"][0]["container"]
    time.sleep(1.5)  # a checkpoint over the latest entries
    subprocess.run(["docker", "cp", f"{container}:{JOURNAL}", str(tmp_path)], check=True)
    subprocess.run(["docker", "cp", f"{container}:{JOURNAL_VKEY}", str(tmp_path)], check=True)
    copy, vkey = tmp_path / "journal", tmp_path / "journal.vkey"
    ok = subprocess.run([VIGIE, "audit", "verify", str(copy), "--key", str(vkey)], text=True,
                        capture_output=True)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    edited = tmp_path / "edited"
    shutil.copytree(copy, edited)
    entries = (edited / "entries.jsonl").read_text().splitlines()
    i = next(i for i, line in enumerate(entries) if '"deny"' in line)
    entries[i] = entries[i].replace('"deny"', '"allow"', 1)
    (edited / "entries.jsonl").write_text("\n".join(entries) + "\n")
    bad = subprocess.run([VIGIE, "audit", "verify", str(edited), "--key", str(vkey)], text=True,
                         capture_output=True)  # fmt: skip
    assert bad.returncode != 0, bad.stdout
    print(f"vigie audit verify: {ok.stdout.strip()} / edited: {bad.stdout.strip()}")


def test_the_operators_page_shows_the_event_and_plays_the_clip(lab, workdir, viewing, provoked):
    """The central host's page in headless Chromium, with the competent operator's
    certificate: the event listed, its clip decoded by the browser at the camera's
    own size, every segment through auth_request and journaled; then the outcome."""
    from selenium.webdriver.common.by import By

    op, g = viewing["op"], viewing["grant"]
    width = segment_width(op, g, viewing)
    central = lab["central"][0]
    proxy = ws.CertificateProxy(
        workdir / "workstation", f"{central['address']}:443", op.cert, op.key, op.ca,
        central["name"],
    )  # fmt: skip
    browser = ws.chromium()
    try:
        n = len(journal(lab))
        browser.get(f"{proxy.url}/operateur/#{g['id']}")
        assert "Levée de doute" in browser.find_element(By.TAG_NAME, "h1").text
        ws.wait(lambda: g["id"] in browser.page_source, what="the event listed")
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-grant="{g["id"]}"]')
        assert "Sabotage caméra" in row.text and g["camera"] in row.text, row.text
        ws.wait(
            lambda: browser.execute_script(
                "const v = document.getElementById('video');"
                "return v.readyState >= 2 && v.videoWidth === arguments[0] && v.currentTime > 1;",
                width,
            ),
            timeout=60,
            what=f"the clip playing at {width} px",
        )
        ws.shot(browser, ARTEFACTS, "operateur-lab.png")
        served = [
            e for e in journal(lab)[n:]
            if e["action"] == "segment_allowed" and e.get("event") == g["event_id"]
            and e.get("actor", {}).get("operator") == op.identity
        ]  # fmt: skip
        assert served, "the page played no segment through auth_request"
        # The camera was paused by the test: the operator records a false alarm.
        browser.find_element(By.ID, "fausse-alerte").click()
        ws.wait(lambda: "fausse alerte" in browser.find_element(By.ID, "message").text.lower())
        ws.wait(
            lambda: provoked.camera["site"] in browser.find_element(By.ID, "taux-liste").text,
            what="the false-alarm table",
        )
        assert any(
            e["action"] == "outcome"
            and e["result"] == "false_alarm"
            and e.get("event") == g["event_id"]
            for e in journal(lab)[n:]
        )
    finally:
        browser.quit()
        proxy.stop()


def segment_width(op, g, viewing) -> int:
    """The width of the camera's own footage, read by ffprobe from one segment."""
    r = op.session().get(
        f"{op.url}/hls/{g['id']}/{viewing['segments'][-1]}",
        headers={"Authorization": f"Bearer {viewing['token']}"},
        timeout=30,
    )
    assert r.status_code == 200
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width",
         "-of", "csv=p=0", "-i", "pipe:0"],
        input=r.content, check=True, capture_output=True,
    )  # fmt: skip
    return int(probe.stdout.decode().split()[0])
