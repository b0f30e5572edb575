"""Converge the lab twice: the first run provisions, the second must change nothing.

    .venv/bin/python -m lab.converge [--playbook playbooks/site.yml ...]

By default `playbooks/site.yml` (the sites and the central host), then
`playbooks/witness.yml` (the journal's witness, on its own host: it needs the
central host's CA and journal). Each pass runs the playbooks in that order.
Prints Ansible's output as it comes, then the timings (per playbook too); saves
them to .lab/timings.json. Exit status: 0 when both passes succeed and the rerun
reports changed=0 on every host.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / ".lab"
BIN = Path(sys.executable).parent
INVENTORY = os.environ.get("VIGIE_LAB_INVENTORY", str(ROOT / "inventories" / "lab"))
# The sites and the central host, then the journal's witness (its TLS request is
# signed by the central host's CA, it reads the central host's journal).
PLAYBOOKS = ("playbooks/site.yml", "playbooks/witness.yml")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def playbook_command(playbook: str) -> list[str]:
    return [
        str(BIN / "ansible-playbook"),
        "-i",
        INVENTORY,
        playbook,
        "-e",
        f"@{LAB / 'secrets.yml'}",
        "--vault-password-file",
        str(LAB / "vault-password"),
    ]


def run_playbook(playbook: str) -> tuple[int, float, dict[str, dict[str, int]]]:
    """Run once, echoing the output; return exit status, seconds and the recap."""
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        # The slowest tasks at the end of each run: where the lab's time goes.
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        playbook_command(playbook),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    recap: dict[str, dict[str, int]] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        if m := RECAP.match(line):
            recap[m[1]] = dict(
                zip(
                    ("ok", "changed", "unreachable", "failed"),
                    map(int, m.groups()[1:]),
                    strict=True,
                )
            )
    return proc.wait(), time.monotonic() - started, recap


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbook", action="append", dest="playbooks")
    args = parser.parse_args()
    playbooks = args.playbooks or list(PLAYBOOKS)
    each: dict[str, dict[str, float]] = {p: {} for p in playbooks}
    first = 0.0
    for playbook in playbooks:
        rc, seconds, _ = run_playbook(playbook)
        first += seconds
        each[playbook]["first_converge_s"] = round(seconds, 1)
        if rc != 0:
            print(
                f"lab: first converge of {playbook} failed (exit {rc}) after {seconds:.0f} s",
                file=sys.stderr,
            )
            return 1
    rerun, recap, rc = 0.0, {}, 0
    for playbook in playbooks:
        status, seconds, recap_one = run_playbook(playbook)
        rerun += seconds
        rc = rc or status
        each[playbook]["rerun_s"] = round(seconds, 1)
        for host, r in recap_one.items():
            recap[host] = {k: recap.get(host, {}).get(k, 0) + v for k, v in r.items()}
    changed = {h: r["changed"] for h, r in recap.items() if r["changed"]}
    timings = {
        "playbook": " ".join(playbooks),
        "first_converge_s": round(first, 1),
        "rerun_s": round(rerun, 1),
        "rerun_changed": changed,
        "hosts": sorted(recap),
        "playbooks": each,
    }
    (LAB / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    for playbook, t in each.items():
        print(
            f"lab: {playbook}: first converge {t['first_converge_s']:.0f} s, "
            f"rerun {t['rerun_s']:.0f} s",
            file=sys.stderr,
        )
    print(f"lab: first converge {first:.0f} s, idempotent rerun {rerun:.0f} s", file=sys.stderr)
    if rc != 0 or changed:
        print(f"lab: the rerun is not idempotent (exit {rc}, changed: {changed})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
