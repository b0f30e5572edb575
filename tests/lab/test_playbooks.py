"""The playbooks' own logic: the policy filter, and the summary of sites done."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "playbooks" / "filter_plugins"))

from ansible.errors import AnsibleFilterError  # noqa: E402
from vigie_policy import vigie_policy_rules  # noqa: E402

DATA = Path(__file__).parent / "data"
PREFIXES = {"cameras": "10.128.12.0/24", "recorders": "10.128.13.0/24", "admin": "10.78.0.0/24"}


def test_policy_flows_become_firewall_rules_with_prefixes():
    policy = [
        {"from": "recorders", "to": "cameras", "proto": "tcp", "port": 554, "why": "RTSP"},
        {"from": "cameras", "to": "admin", "proto": "udp", "port": 123, "why": "NTP"},
        {"from": "10.0.0.0/8", "to": "admin", "proto": "icmp", "why": "ping"},
    ]
    assert vigie_policy_rules(policy, PREFIXES) == [
        {"proto": "tcp", "port": 554, "saddr": "10.128.13.0/24", "daddr": "10.128.12.0/24",
         "comment": "RTSP"},
        {"proto": "udp", "port": 123, "saddr": "10.128.12.0/24", "daddr": "10.78.0.0/24",
         "comment": "NTP"},
        {"proto": "icmp", "saddr": "10.0.0.0/8", "daddr": "10.78.0.0/24", "comment": "ping"},
    ]  # fmt: skip


def test_an_unknown_vlan_in_the_policy_is_named_in_the_error():
    flow = {"from": "guests", "to": "cameras", "proto": "tcp", "port": 1, "why": "x"}
    with pytest.raises(AnsibleFilterError, match="'guests' is neither a VLAN of the site"):
        vigie_policy_rules([flow], PREFIXES)


def test_a_failing_site_leaves_the_others_done_and_the_run_says_so():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"),
         "-i", str(DATA / "summary-inventory.yml"), str(DATA / "summary-run.yml")],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )  # fmt: skip
    assert proc.returncode != 0
    assert "done: site-a; not done: site-b" in proc.stdout
    assert "sites not done: site-b (hosts site-b-gw)" in proc.stdout
    # site-b's recorder went on to the end after its gateway failed.
    assert re.search(r"site-b-rec1\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", proc.stdout)
    assert re.search(r"site-b-gw\s+: .* failed=1", proc.stdout)
