"""Hosts behind the firewall keep their updates: through the département's
package mirror named in the inventory, over the one flow the model allows.

The lab runs apt-cacher-ng (lab/mirror/) at the mirror's planned address on the
administration segment; the hosts' apt goes through it as the network role
configured, across the site gateway's forward chain and their own output chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.lab.containers import py, sh, tcp_connect

pytestmark = pytest.mark.docker

FETCH_PY = r"""
import sys, urllib.request
proxy = urllib.request.ProxyHandler({"http": sys.argv[1]})
with urllib.request.build_opener(proxy).open(sys.argv[2], timeout=30) as r:
    print(r.status, len(r.read()))
"""
RELEASE = "http://deb.debian.org/debian/dists/bookworm/Release"


def named_mirror(lab: dict) -> dict | None:
    data = yaml.safe_load((Path(lab["inventory"]) / ".." / "pilot" / "departement.yml").read_text())
    return (data.get("departement") or data).get("package_mirror")


@pytest.fixture(scope="module")
def mirror(lab) -> dict:
    mirror = lab.get("mirror")
    assert mirror, (
        f"the pilot names a package mirror ({named_mirror(lab)}) but the lab has none: "
        "the inventory gives no network__package_mirror"
    )
    return mirror


def site_hosts(lab: dict) -> list[dict]:
    return [dict(h, name=n) for n, h in sorted(lab["hosts"].items()) if h["kind"] != "gateway"]


def test_apt_is_configured_to_use_the_mirror(lab, mirror):
    for host in site_hosts(lab):
        dump = sh(host["container"], "apt-config dump Acquire::http::Proxy")
        assert f"http://{mirror['address']}:{mirror['port']}/" in dump, host["name"]


def test_every_host_behind_the_firewall_fetches_through_the_mirror(lab, mirror):
    url = f"http://{mirror['address']}:{mirror['port']}/"
    for host in site_hosts(lab):
        status, size = py(host["container"], FETCH_PY, url, RELEASE).split()
        assert status == "200" and int(size) > 10_000, host["name"]


def test_only_the_mirror_port_is_open_towards_it(lab, mirror):
    # The flow is the mirror's port only: another port of the same host is dropped.
    for host in site_hosts(lab):
        assert tcp_connect(host["container"], mirror["address"], 22) == "TimeoutError", host["name"]
