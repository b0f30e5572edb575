"""The kind of a certificate is in the certificate (its subject's OU, roles/pki): only
an operator's may view or use the operators' API and page. A certificate of the same
CA of another kind — a detector host's, an alarm source's, one issued before kinds —
is refused by nginx and by the service, even when its CN is a real operator's, and the
refusal is journaled with the kind it carried."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.gateway.services import CAMERA, SITE
from tests.gateway.test_flow import fetch, token
from vigie_access.identity import (
    CERT_HEADER,
    VERIFY_HEADER,
    from_escaped_pem,
    from_headers,
    refusal,
)


def _escaped(gw, name: str) -> str:
    return quote(gw.pki.certs[name][0].read_text())


@pytest.fixture(scope="module")
def twins(gateway):
    """dipn78's operator's name on certificates of other kinds (and of no kind)."""
    op = gateway.op("dipn78")
    for kind in ("detector", "alarm", None):
        gateway.pki.issue(op, kind=kind, alias=f"{op} as {kind}")
    return op


def _refusals(gw, since: int, action: str, want: int, timeout: float = 3) -> list[dict]:
    end = time.monotonic() + timeout
    while True:
        got = [e for e in gw.journal_entries()[since:] if e["action"] == action]
        if len(got) >= want or time.monotonic() > end:
            return got
        time.sleep(0.05)


def test_the_service_reads_the_kind_not_the_name(gateway, twins):
    assert from_escaped_pem(_escaped(gateway, twins)).name == twins
    for kind in ("detector", "alarm", None):
        assert from_escaped_pem(_escaped(gateway, f"{twins} as {kind}")) is None
        headers = {VERIFY_HEADER: "SUCCESS", CERT_HEADER: _escaped(gateway, f"{twins} as {kind}")}
        assert f"OU: {kind or 'none'}" in refusal(headers)


@pytest.mark.parametrize("kind", ["detector", "alarm", None])
def test_another_kind_with_an_operators_name_uses_no_api_and_is_journaled(gateway, twins, kind):
    n = len(gateway.journal_entries())
    session = gateway.operator(f"{twins} as {kind}")
    for path in ("/api/me", "/api/events"):
        assert session.get(f"{gateway.url}{path}", timeout=5).status_code == 403
    assert session.post(f"{gateway.url}/api/requisitions", json={}, timeout=5).status_code == 403
    refused = _refusals(gateway, n, "api_refused", 3)
    assert [e["path"] for e in refused] == ["/api/me", "/api/events", "/api/requisitions"]
    assert all(e["rule"] == "ACCESS-CERT" for e in refused)
    assert all(f"OU: {kind or 'none'}" in e["reason"] for e in refused)


def test_nginx_lets_only_operators_reach_the_page(gateway, twins):
    """The page itself is no secret, and the service serves it to any client nginx
    passes: a 403 here is nginx's own check of the kind (the refusal journaled)."""
    assert gateway.operator(twins).get(f"{gateway.url}/operateur/", timeout=5).status_code == 200
    n = len(gateway.journal_entries())
    r = gateway.operator(f"{twins} as detector").get(f"{gateway.url}/operateur/", timeout=5)
    assert r.status_code == 403
    refused = _refusals(gateway, n, "api_refused", 1)
    assert refused and refused[0]["path"] == "/operateur/"
    assert "OU: detector" in refused[0]["reason"]


def test_a_token_is_no_use_with_a_certificate_of_another_kind(gateway, twins):
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    g = gateway.wait_grant(twins, doc["time"], timeout=5)
    tok = token(gateway, twins, g["id"]).json()["token"]
    assert fetch(gateway, twins, f"/hls/{g['id']}/index.m3u8", tok).status_code == 200
    n = len(gateway.journal_entries())
    for kind in ("detector", None):
        r = fetch(gateway, f"{twins} as {kind}", f"/hls/{g['id']}/index.m3u8", tok)
        assert r.status_code == 403
    refused = _refusals(gateway, n, "playlist_refused", 2)
    assert [e["rule"] for e in refused] == ["ACCESS-CERT", "ACCESS-CERT"]
    assert "OU: detector" in refused[0]["reason"] and "OU: none" in refused[1]["reason"]


@given(verify=st.sampled_from(["SUCCESS", "FAILED", "NONE", ""]), cert=st.text(max_size=300))
def test_any_headers_give_a_reason_never_an_exception(verify, cert):
    headers = {VERIFY_HEADER: verify, CERT_HEADER: cert}
    assert from_headers(headers) is None
    assert refusal(headers)
