"""Break-glass (a supervisor, a reason, the DPO alerted, flagged for review) and
judicial requisitions (recorded, approved by the holder's designee, export only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from tests.gateway.gw_footage import file_segments
from tests.gateway.services import SEGMENT_S, SITE
from vigie import central

REQ_CAMERA = "mairie-sartrouville/parvis"  # recorded at the datacenter for the commune


def test_break_glass_by_a_supervisor_alerts_the_dpo(gateway):
    got = []
    dpo = gateway.mqtt_client(central.DPO_IDENTITY)
    dpo.on_message = lambda _c, _u, m: got.append(json.loads(m.payload))
    dpo.subscribe(central.DPO_ALERTS, qos=1)
    time.sleep(0.3)
    sup = next(p for p in gateway.people["dipn78"] if "/sup-" in p)
    s = gateway.operator(sup)
    body = {"camera": f"{SITE}/hall", "class": "intrusion", "reason": "appel au 17 : effraction"}
    r = s.post(f"{gateway.url}/api/break-glass", json=body)
    assert r.status_code == 200, r.text
    g = r.json()
    assert g["origin"] == "break_glass" and g["break_glass"] == body["reason"]
    time.sleep(1)
    dpo.disconnect()
    dpo.loop_stop()
    assert got and got[0]["operator"] == sup and got[0]["break_glass"] == g["id"]
    entry = next(e for e in gateway.journal_entries() if e["action"] == "break_glass")
    assert entry["review"] is True and entry["decision"] == "allow"
    # The supervisor can view that camera now.
    tok = s.post(f"{gateway.url}/api/grants/{g['id']}/token")
    assert tok.status_code == 200


def test_break_glass_refused_without_supervisor_or_reason(gateway):
    op = gateway.operator(gateway.op("dipn78"))
    body = {"camera": f"{SITE}/hall", "class": "intrusion", "reason": "je veux voir"}
    r = op.post(f"{gateway.url}/api/break-glass", json=body)
    assert r.status_code == 403 and r.json()["rule"] == "ACCESS-BREAK-GLASS"
    sup = next(p for p in gateway.people["dipn78"] if "/sup-" in p)
    r = gateway.operator(sup).post(f"{gateway.url}/api/break-glass", json={**body, "reason": ""})
    assert r.status_code == 403


def test_requisition_yields_an_export_only_once_approved_by_the_designee(gateway):
    site, cam = REQ_CAMERA.split("/")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(minutes=3, seconds=now.second % SEGMENT_S)
    names = file_segments(gateway.parts, gateway.storage, f"{site}-{cam}", start, 30, SEGMENT_S)
    officer = gateway.operator(gateway.op("dipn78"))
    body = {
        "camera": REQ_CAMERA,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(seconds=40)).isoformat(),
        "procedure": "PV 2026/000123 — réquisition art. 77-1-1 CPP",
    }
    r = officer.post(f"{gateway.url}/api/requisitions", json=body)
    assert r.status_code == 200, r.text
    gid = r.json()["requisition"]
    # Never a view: no token for a requisition.
    assert officer.post(f"{gateway.url}/api/grants/{gid}/token").status_code == 403
    # Approved by someone else than the holder's designee: refused.
    wrong = gateway.operator(next(p for p in gateway.people["dipn78"] if "/sup-" in p))
    assert wrong.post(f"{gateway.url}/api/requisitions/{gid}/approve").status_code == 403
    designee = gateway.operator("pm-sartrouville/sup-0001")
    ok = designee.post(f"{gateway.url}/api/requisitions/{gid}/approve", timeout=60)
    assert ok.status_code == 200, ok.text
    folder = gateway.service_dir / "exports" / ok.json()["export"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["approved_by"] == "pm-sartrouville/sup-0001"
    assert 18 <= len(manifest["files"]) <= 22  # 40 s of 2 s segments
    assert {f["name"] for f in manifest["files"]} <= {n.rsplit("/", 1)[1] for n in names}
    digest = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    assert digest == ok.json()["manifest_sha256"]
