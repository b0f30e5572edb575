"""Every refusal is a 403 from nginx (auth_request) or the API, and
is journaled with the rule that refused it."""

from __future__ import annotations

import datetime as dt
import http.client
import ssl
import time

import pytest

from tests.gateway.services import CAMERA, SITE
from vigie.access_policy.tokens import Grant as TokenGrant
from vigie.access_policy.tokens import TokenAuthority, fingerprint_of


@pytest.fixture(scope="module")
def grant(gateway):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=50)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    return gateway.wait_grant(gateway.op("dipn78"), doc["time"])


@pytest.fixture(scope="module")
def good(gateway, grant):
    """The competent operator's token and the window's first segment (allowed)."""
    op = gateway.op("dipn78")
    r = gateway.operator(op).post(f"{gateway.url}/api/grants/{grant['id']}/token")
    assert r.status_code == 200, r.text
    tok = r.json()["token"]
    pl = get(gateway, op, f"/hls/{grant['id']}/index.m3u8", tok)
    assert pl.status_code == 200
    seg = next(x for x in pl.text.splitlines() if x.endswith(".ts"))
    assert get(gateway, op, f"/hls/{grant['id']}/{seg}", tok).status_code == 200
    return {"token": tok, "segment": seg, "op": op}


def get(gw, cn, path, tok):
    headers = {"Authorization": f"Bearer {tok}"} if tok else {}
    return gw.operator(cn).get(f"{gw.url}{path}", headers=headers, timeout=10)


def journaled(gw, rule: str, operator: str | None = None, since: int = 0) -> dict:
    # A refusal is answered at once and written by the journal's next group commit:
    # wait for it (bounded), never for a fixed time that a loaded machine exceeds.
    deadline = time.monotonic() + 5
    while True:
        for e in gw.journal_entries()[since:]:
            who = e.get("actor", {}).get("operator")
            if e.get("rule") == rule and e.get("decision") == "deny" and operator in (None, who):
                return e
        if time.monotonic() > deadline:
            raise AssertionError(f"no journal entry refused by {rule} for {operator}")
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("agency", "rule"),
    [
        ("ggd78", "ACCESS-GRANT-AGENCY"),  # another agency (not competent in Versailles)
        ("pm-sartrouville", "ACCESS-GRANT-AGENCY"),  # police municipale of another commune
        ("sdis78", "ACCESS-GRANT-AGENCY"),  # the SDIS, on an intrusion
    ],
)
def test_other_agencies_get_no_token_and_no_footage(gateway, grant, good, agency, rule):
    op = gateway.op(agency)
    n = len(gateway.journal_entries())
    r = gateway.operator(op).post(f"{gateway.url}/api/grants/{grant['id']}/token")
    assert r.status_code == 403 and r.json()["rule"] == rule
    journaled(gateway, rule, op, n)
    # Nor with the competent operator's token: it is bound to another certificate.
    seg = get(gateway, op, f"/hls/{grant['id']}/{good['segment']}", good["token"])
    assert seg.status_code == 403
    journaled(gateway, rule, op, n + 1)
    # And no grant of this event is listed for it.
    assert all(g["event_id"] != grant["event_id"] for g in gateway.grants(op))


def test_platform_administrator_never_views(gateway, grant, good):
    admin = "vigie-ops/admin-01"
    n = len(gateway.journal_entries())
    r = gateway.operator(admin).post(f"{gateway.url}/api/grants/{grant['id']}/token")
    assert r.status_code == 403 and r.json()["rule"] == "ACCESS-ADMIN-NEVER"
    seg = get(gateway, admin, f"/hls/{grant['id']}/{good['segment']}", good["token"])
    assert seg.status_code == 403
    journaled(gateway, "ACCESS-ADMIN-NEVER", admin, n)


def test_segment_outside_the_window(gateway, grant, good):
    first = gateway.portail[0]  # 9 min before now: before the window (event - 5 min)
    n = len(gateway.journal_entries())
    r = get(gateway, good["op"], f"/hls/{grant['id']}/{first}", good["token"])
    assert r.status_code == 403
    journaled(gateway, "ACCESS-TOKEN-WINDOW", good["op"], n)


def test_segment_of_another_camera(gateway, grant, good):
    other = good["segment"].replace(f"{SITE}-{CAMERA}", f"{SITE}-hall")
    n = len(gateway.journal_entries())
    assert get(gateway, good["op"], f"/hls/{grant['id']}/{other}", good["token"]).status_code == 403
    journaled(gateway, "ACCESS-TOKEN-CAMERA", good["op"], n)


def _cert_der(gw, cn: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = gw.pki.certs[cn][0].read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_expired_token(gateway, grant, good):
    """A genuine token (the service's key), issued 400 s ago: past its 300 s."""
    key = (gateway.service_dir / "keys/token.key").read_bytes().strip()
    old = TokenAuthority(key, clock=lambda: time.time() - 400)
    g = TokenGrant(grant["id"], "dipn78", (f"{SITE}/{CAMERA}",), 0, 2**31, 2**31)
    tok = old.issue(good["op"], fingerprint_of(_cert_der(gateway, good["op"])), g)
    n = len(gateway.journal_entries())
    assert get(gateway, good["op"], f"/hls/{grant['id']}/{good['segment']}", tok).status_code == 403
    journaled(gateway, "ACCESS-TOKEN-EXPIRED", good["op"], n)


def test_token_replayed_with_another_operators_certificate(gateway, grant, good):
    colleague = gateway.op("dipn78", 1)  # same agency, another person
    n = len(gateway.journal_entries())
    r = get(gateway, colleague, f"/hls/{grant['id']}/{good['segment']}", good["token"])
    assert r.status_code == 403
    journaled(gateway, "ACCESS-TOKEN-CERTIFICATE", colleague, n)


def test_forged_token(gateway, grant, good):
    body, _, mac = good["token"].rpartition(".")
    forged = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    n = len(gateway.journal_entries())
    assert get(gateway, good["op"], f"/hls/{grant['id']}/index.m3u8", forged).status_code == 403
    journaled(gateway, "ACCESS-TOKEN-FORGED", good["op"], n)


def test_no_token(gateway, grant, good):
    n = len(gateway.journal_entries())
    assert get(gateway, good["op"], f"/hls/{grant['id']}/index.m3u8", None).status_code == 403
    journaled(gateway, "ACCESS-TOKEN-MISSING", good["op"], n)


@pytest.mark.parametrize(
    "path",
    [
        "/hls/{g}/../../../etc/passwd",
        "/hls/{g}/{src}/../{src}/x.ts",
        "/hls/{g}/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_dot_dot_paths(gateway, grant, good, path):
    """Sent as is (no client normalisation): refused and journaled, never served."""
    raw = path.format(g=grant["id"], src=f"{SITE}-{CAMERA}")
    ctx = ssl.create_default_context(cafile=str(gateway.pki.ca))
    cert, key = gateway.pki.certs[good["op"]]
    ctx.load_cert_chain(str(cert), str(key))
    conn = http.client.HTTPSConnection("127.0.0.1", gateway.https_port, context=ctx, timeout=10)
    n = len(gateway.journal_entries())
    conn.request("GET", raw, headers={"Authorization": f"Bearer {good['token']}"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 403, (resp.status, body[:200])
    assert b"root:" not in body
    journaled(gateway, "ACCESS-PATH", good["op"], n)


def test_revoked_certificate_is_refused_by_tls(gateway, grant):
    import requests

    with pytest.raises(requests.exceptions.RequestException):
        r = gateway.operator("dipn78/op-9999").get(f"{gateway.url}/api/events", timeout=5)
        if r.status_code == 400:  # nginx answers 400 to a certificate it rejected
            raise requests.exceptions.SSLError(r.text)


def test_no_client_certificate(gateway):
    import requests

    s = requests.Session()
    s.trust_env = False
    r = s.get(f"{gateway.url}/api/events", verify=str(gateway.pki.ca), timeout=5)
    assert r.status_code == 400  # "No required SSL certificate was sent"
