"""Print what the lab runs: cameras recorded, segments on disk, nftables rules, timings.

    .venv/bin/python -m lab.report

Everything is read from the running hosts (through `docker exec`, so the report
does not depend on the firewall letting the controller in).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lab import docker_cli as d

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / ".lab"

# Runs inside a recorder: per camera folder, the segment count, bytes and the
# age of the newest segment. Segments are filed <storage>/<camera>/<day>/*.ts
SEGMENTS_PY = r"""
import json, os, sys, time
root = sys.argv[1]
out = {}
for cam in sorted(os.listdir(root)) if os.path.isdir(root) else []:
    files = []
    for base, _dirs, names in os.walk(os.path.join(root, cam)):
        files += [os.path.join(base, n) for n in names if n.endswith(".ts")]
    stats = [os.stat(f) for f in files]
    out[cam] = {"segments": len(stats), "bytes": sum(s.st_size for s in stats),
                "newest_age_s": round(time.time() - max((s.st_mtime for s in stats), default=0), 1)}
print(json.dumps(out))
"""


def load_state() -> dict:
    path = LAB / "state.json"
    if not path.exists():
        raise SystemExit("lab: no .lab/state.json: run `make lab` first")
    return json.loads(path.read_text())


def segments_on(container: str, storage: str) -> dict:
    out = d.docker("exec", container, "python3", "-c", SEGMENTS_PY, storage, check=False)
    return json.loads(out) if out.strip() else {}


def nft_rule_counts(container: str) -> str:
    """Rules per table, e.g. 'inet vigie: 24, ip nat: 6' (Docker's own DNS rules show too)."""
    out = d.docker("exec", container, "nft", "-j", "list", "ruleset", check=False)
    if not out.strip():
        return "-"
    counts: dict[str, int] = {}
    for item in json.loads(out)["nftables"]:
        if "rule" in item:
            table = f"{item['rule']['family']} {item['rule']['table']}"
            counts[table] = counts.get(table, 0) + 1
    return ", ".join(f"{t}: {n}" for t, n in sorted(counts.items())) or "none"


def main() -> int:
    state = load_state()
    console = Console(width=150)
    cams = Table(title="cameras recorded")
    for col in ("camera", "recorder", "segments", "MB", "newest segment age (s)"):
        cams.add_column(col)
    for name, host in sorted(state["hosts"].items()):
        if host["kind"] != "recorder" or not d.running(host["container"]):
            continue
        found = segments_on(host["container"], host["storage_path"])
        for cam in (c for c in state["cameras"] if c["recorder"] == name):
            seen = found.get(cam["id"], {"segments": 0, "bytes": 0, "newest_age_s": None})
            cams.add_row(
                cam["host"],
                name,
                str(seen["segments"]),
                f"{seen['bytes'] / 1e6:.1f}",
                str(seen["newest_age_s"]),
            )
    console.print(cams)
    fw = Table(title="nftables rules loaded")
    fw.add_column("host")
    fw.add_column("kind")
    fw.add_column("rules")
    for name, host in sorted(state["hosts"].items()):
        counts = nft_rule_counts(host["container"]) if d.running(host["container"]) else "-"
        fw.add_row(name, host["kind"], counts)
    console.print(fw)
    central = Table(title="central services (playbooks/central.yml)")
    for col in ("host", "address", "mosquitto", "vigie-access", "nginx", "identities issued"):
        central.add_column(col)
    for c in state.get("central", []):
        if not d.running(c["container"]):
            central.add_row(c["name"], c["address"], "-", "-", "-", "-")
            continue
        units = d.docker(
            "exec", c["container"], "systemctl", "is-active", "mosquitto", "vigie-access", "nginx",
            check=False,
        ).split()  # fmt: skip
        issued = d.docker(
            "exec", c["container"], "sh", "-c", "ls /etc/vigie-pki/issued | wc -l", check=False
        ).strip()
        central.add_row(c["name"], c["address"], *(units + ["?"] * 3)[:3], issued or "?")
    console.print(central)
    timings = LAB / "timings.json"
    if timings.exists():
        t = json.loads(timings.read_text())
        console.print(
            f"first converge: {t['first_converge_s']} s; "
            f"idempotent rerun: {t['rerun_s']} s; "
            f"changed on rerun: {t['rerun_changed'] or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
