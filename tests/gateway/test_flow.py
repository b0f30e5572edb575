"""The levée de doute by real traffic on loopback: detector event -> grant ->
notification on the competent agencies' topics only -> the operator's HLS
window through nginx auth_request -> 200 and frames of that camera."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from tests.gateway.services import CAMERA, SITE
from vigie import central

VIGIE = str(Path(sys.executable).parent / "vigie")
COMPETENT = {"dipn78", "cd78-supervision"}  # police in Versailles; the département's collège
OTHERS = {"ggd78", "pm-sartrouville", "sdis78", "pref78", "pm-gally-mauldre"}


def listen(gw, agencies):
    """Each agency's MQTT identity subscribed to its own notification topic."""
    got = {a: [] for a in agencies}
    clients = []
    for a in agencies:
        c = gw.mqtt_client(central.agency_identity(a))
        c.on_message = lambda _c, _u, m, a=a: got[a].append(json.loads(m.payload))
        c.subscribe(central.notification_topic(a), qos=1)
        clients.append(c)
    time.sleep(0.3)
    return got, clients


@pytest.fixture(scope="module")
def event(gateway):
    """One intrusion at the collège's gate, one minute ago, with everyone listening."""
    got, clients = listen(gateway, COMPETENT | OTHERS)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    sent = time.monotonic()
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    grant = gateway.wait_grant(gateway.op("dipn78"), doc["time"], timeout=5)
    latency = time.monotonic() - sent
    time.sleep(1)  # let every notification arrive (or not)
    for c in clients:
        c.disconnect()
        c.loop_stop()
    return {"doc": doc, "grant": grant, "latency": latency, "notified": got}


def test_grant_within_5_s(event):
    assert event["latency"] < 5, event["latency"]
    g = event["grant"]
    assert (g["site"], g["camera"], g["cls"]) == (SITE, CAMERA, "intrusion")
    assert g["rule"].startswith("ACCESS-")


def test_notification_only_on_competent_agencies_topics(event):
    notified = {a for a, msgs in event["notified"].items() if msgs}
    assert notified == COMPETENT
    note = event["notified"]["dipn78"][0]
    assert note["camera"] == CAMERA and note["class"] == "intrusion"
    assert note["grant"] == event["grant"]["id"]


def test_agency_cannot_subscribe_to_another_agencys_topic(gateway, event):
    spy = gateway.mqtt_client(central.agency_identity("ggd78"))
    seen = []
    spy.on_message = lambda *a: seen.append(a[2].topic)
    spy.subscribe(central.notification_topic("dipn78"), qos=1)
    time.sleep(0.3)
    gateway.publish_event(
        f"{SITE}-det1", SITE, CAMERA, "tamper", dt.datetime.now(dt.UTC), kind="covered"
    )
    time.sleep(1.5)
    spy.disconnect()
    spy.loop_stop()
    assert seen == []


def token(gw, cn, grant_id):
    return gw.operator(cn).post(f"{gw.url}/api/grants/{grant_id}/token", timeout=5)


def fetch(gw, cn, path, tok):
    return gw.operator(cn).get(
        f"{gw.url}{path}", headers={"Authorization": f"Bearer {tok}"}, timeout=10
    )


def test_competent_operator_plays_the_window(gateway, event, tmp_path):
    gid = event["grant"]["id"]
    r = token(gateway, gateway.op("dipn78"), gid)
    assert r.status_code == 200, r.text
    tok = r.json()["token"]
    pl = fetch(gateway, gateway.op("dipn78"), f"/hls/{gid}/index.m3u8", tok)
    assert pl.status_code == 200, pl.text
    segs = [line for line in pl.text.splitlines() if line.endswith(".ts")]
    assert len(segs) >= 100  # 5 min before the event + 1 min since, in 2 s segments
    assert all(s.startswith(f"{SITE}-{CAMERA}/") for s in segs)
    # Every segment is fetched through auth_request; ffmpeg and OpenCV decode the clip.
    clip = tmp_path / "clip.ts"
    with clip.open("wb") as fh:
        for s in segs[:5]:
            r = fetch(gateway, gateway.op("dipn78"), f"/hls/{gid}/{s}", tok)
            assert r.status_code == 200, (s, r.status_code)
            fh.write(r.content)
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=codec_name,width,nb_read_frames",
            "-of",
            "json",
            str(clip),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["codec_name"] == "h264" and int(stream["nb_read_frames"]) >= 40
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    assert ok and frame.shape[1] == 768  # vtest.avi's frames, the footage of this camera


def test_the_playlist_window_is_the_grant(gateway, event):
    g = event["grant"]
    start = dt.datetime.fromisoformat(g["window_start"])
    end = dt.datetime.fromisoformat(g["window_end"])
    when = dt.datetime.fromisoformat(g["event_time"])
    assert start == when - dt.timedelta(minutes=5)
    assert end == when + dt.timedelta(minutes=15)


def test_outcome_and_false_alarm_rate(gateway, event):
    gid = event["grant"]["id"]
    s = gateway.operator(gateway.op("dipn78"))
    r = s.post(f"{gateway.url}/api/grants/{gid}/outcome", json={"outcome": "false_alarm"})
    assert r.status_code == 200, r.text
    rates = s.get(f"{gateway.url}/api/rates").json()
    row = next(x for x in rates if x["camera"] == f"{SITE}/{CAMERA}")
    assert row["false_alarms"] == 1 and row["rate"] == 1.0
    metrics = s.get(f"http://127.0.0.1:{gateway.metrics_port}/metrics", cert=None).text
    assert f'vigie_access_false_alarm_ratio{{camera="{SITE}/{CAMERA}",class="intrusion"}} 1.0' in (
        metrics
    )


def test_extension_once_with_a_reason(gateway, event):
    gid = event["grant"]["id"]
    s = gateway.operator(gateway.op("dipn78"))
    url = f"{gateway.url}/api/grants/{gid}/extend"
    assert s.post(url, json={"reason": ""}).status_code == 403
    r = s.post(url, json={"reason": "individu toujours présent dans la cour"})
    assert r.status_code == 200, r.text
    assert r.json()["live_until"] > event["grant"]["live_until"]
    again = s.post(url, json={"reason": "deuxième demande de prolongation"})
    assert again.status_code == 403 and again.json()["rule"] == "ACCESS-EXTENSION-ONCE"


def test_export_needs_four_eyes_and_is_signed(gateway, event):
    from cryptography.hazmat.primitives import serialization

    gid = event["grant"]["id"]
    a, b = gateway.operator(gateway.op("dipn78")), gateway.operator(gateway.op("dipn78", 1))
    r = a.post(f"{gateway.url}/api/grants/{gid}/exports", json={"reason": "réquisition à venir"})
    assert r.status_code == 200, r.text
    ex = r.json()["export"]
    self_approved = a.post(f"{gateway.url}/api/exports/{ex}/approve")
    assert self_approved.status_code == 403
    other_agency = gateway.operator(gateway.op("cd78-supervision"))
    assert other_agency.post(f"{gateway.url}/api/exports/{ex}/approve").status_code == 403
    ok = b.post(f"{gateway.url}/api/exports/{ex}/approve", timeout=60)
    assert ok.status_code == 200, ok.text
    folder = gateway.service_dir / "exports" / ex
    manifest = (folder / "manifest.json").read_bytes()
    import hashlib

    assert hashlib.sha256(manifest).hexdigest() == ok.json()["manifest_sha256"]
    key = serialization.load_pem_private_key(
        (gateway.service_dir / "keys/export-ed25519.pem").read_bytes(), None
    )
    key.public_key().verify((folder / "manifest.json.sig").read_bytes(), manifest)
    for f in json.loads(manifest)["files"]:
        assert hashlib.sha256((folder / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    entry = [e for e in gateway.journal_entries() if e.get("export") == ex]
    assert any(e.get("sha256") == ok.json()["manifest_sha256"] for e in entry)


def test_live_view_ends_within_one_segment_after_expiry(gateway):
    """An event 14 min 50 s old: its live window (15 min) ends in ~10 s while the
    camera is recorded live by ffmpeg (the recorder's segment muxer)."""
    from tests.gateway.gw_footage import footage_dir
    from tests.gateway.services import LIVE_CAMERA, SEGMENT_S

    src = f"{SITE}-{LIVE_CAMERA}"
    base = gateway.storage / src
    now = dt.datetime.now(dt.UTC)
    for day in {now.date(), (now + dt.timedelta(days=1)).date()}:
        (base / day.isoformat()).mkdir(parents=True, exist_ok=True)
    rec = subprocess.Popen(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
            str(footage_dir() / "vtest.avi"),
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-force_key_frames",
            f"expr:gte(t,n_forced*{SEGMENT_S})",
            "-f",
            "segment",
            "-segment_time",
            str(SEGMENT_S),
            "-segment_atclocktime",
            "1",
            "-reset_timestamps",
            "1",
            "-strftime",
            "1",
            "-segment_format",
            "mpegts",
            f"{base}/%Y-%m-%d/{src}_%Y%m%dT%H%M%SZ.ts",
        ],
    )
    try:
        time.sleep(3 * SEGMENT_S)
        when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14, seconds=50)
        doc = gateway.publish_event(f"{SITE}-det1", SITE, LIVE_CAMERA, "intrusion", when)
        g = gateway.wait_grant(gateway.op("dipn78"), doc["time"])
        live_until = dt.datetime.fromisoformat(g["live_until"])
        tok = token(gateway, gateway.op("dipn78"), g["id"]).json()["token"]
        last_ok = None
        while True:
            pl = fetch(gateway, gateway.op("dipn78"), f"/hls/{g['id']}/index.m3u8", tok)
            t = dt.datetime.now(dt.UTC)
            if pl.status_code != 200:
                break
            assert "#EXT-X-ENDLIST" not in pl.text  # live while granted
            newest = [x for x in pl.text.splitlines() if x.endswith(".ts")][-1]
            if fetch(gateway, gateway.op("dipn78"), f"/hls/{g['id']}/{newest}", tok).ok:
                last_ok = t
            assert t < live_until + dt.timedelta(seconds=SEGMENT_S), "still live after expiry"
            time.sleep(0.25)
        assert pl.status_code == 403
        assert last_ok is not None and last_ok < live_until + dt.timedelta(seconds=SEGMENT_S)
        assert t - live_until < dt.timedelta(seconds=SEGMENT_S)
    finally:
        rec.terminate()
        rec.wait(10)


def audit_verify(journal: Path, vkey: Path) -> tuple[int, str]:
    """`vigie audit verify JOURNAL --key PUB` when the CLI has it, else its function."""
    run = subprocess.run([VIGIE, "audit", "verify", "--help"], capture_output=True)
    if run.returncode == 0:
        r = subprocess.run(
            [VIGIE, "audit", "verify", str(journal), "--key", str(vkey)],
            capture_output=True,
            text=True,
        )
        return r.returncode, r.stdout + r.stderr
    from vigie.audit.note import Verifier
    from vigie.audit.verify import verify

    report = verify(journal, Verifier.parse(vkey.read_text().strip()))
    return (0 if report.ok else 1), "\n".join(report.problems)


def test_journal_verifies_and_catches_an_edited_line(gateway, event, tmp_path):
    import shutil

    journal = gateway.service_dir / "journal"
    vkey = gateway.service_dir / "keys/journal.vkey"
    refused = fetch(gateway, gateway.op("ggd78"), f"/hls/{event['grant']['id']}/index.m3u8", "x")
    assert refused.status_code == 403
    time.sleep(1.2)  # a checkpoint covers the latest entries
    status, out = audit_verify(journal, vkey)
    assert status == 0, out
    copy = tmp_path / "journal"
    shutil.copytree(journal, copy)
    lines = (copy / "entries.jsonl").read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if '"decision":"deny"' in line)
    lines[i] = lines[i].replace('"decision":"deny"', '"decision":"allow"')
    (copy / "entries.jsonl").write_text("".join(lines))
    status, out = audit_verify(copy, vkey)
    assert status == 1
    assert f"entry {i}" in out, out
