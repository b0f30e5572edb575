"""The journal's witness, outside the central host (playbooks/witness.yml on a lab host
of its own, the DPO's): it pulls the central host's journal through nginx with its own
certificate and cosigns it with its own key. Then the central host rewrites its
journal the way only its administrators could, one entry altered and a fresh
checkpoint signed with the journal's own key, so that the journal verifies on its
own; the witness refuses it on its next run (unit failed, `JOURNAL-REFUSED`, its
metrics say so), and `vigie audit verify` with the witness's key and state (from the
witness's host) names the rewrite.

The rewrite is made on the live journal with the access service stopped (it refuses
to start on a journal that no longer matches its checkpoints), and the journal is
put back byte for byte and the service started again in a `finally`: the other lab
tests find it as it was, and the witness's next run succeeds again.
"""

from __future__ import annotations

import json
import time

import pytest

from lab import docker_cli
from tests.lab.containers import sh, wait_for

pytestmark = pytest.mark.docker

JOURNAL = "/var/lib/vigie-access/journal"  # roles/access_gateway: <state>/journal
JOURNAL_KEY = "/etc/vigie-access/keys/journal-ed25519.pem"  # vigie_access.journal
ACCESS_PY = "/opt/vigie-access/bin/python"
WITNESS_VIGIE = "/opt/vigie-witness/bin/vigie"
BACKUP = "/root/journal.before-witness-test"
# What node exporter's textfile collector reads (roles/witness links it there).
METRICS = "/var/lib/prometheus/node-exporter/vigie_witness.prom"

# The forger holds the central host and the journal's key: it alters entry 0 (one
# field more, the line kept whole), drops the checkpoints and has the journal's own
# code sign a fresh one over the rewritten tree.
FORGE = f"""{ACCESS_PY} - <<'PY'
from pathlib import Path
from vigie.audit.journal import CHECKPOINTS, ENTRIES, Journal
from vigie.audit.note import Signer
from vigie_access.journal import ORIGIN
root = Path("{JOURNAL}")
entries = root / ENTRIES
data = entries.read_bytes()
end = data.index(b"}}\\n")
entries.write_bytes(data[:end] + b',"x":1' + data[end:])
for note in (root / CHECKPOINTS).iterdir():
    note.unlink()
key = Signer.from_pem(ORIGIN, Path("{JOURNAL_KEY}").read_bytes())
journal = Journal(root, key, origin=ORIGIN)
print(journal.checkpoint().splitlines()[1])
journal.close()
PY"""


@pytest.fixture(scope="module")
def witness(lab) -> dict:
    found = lab.get("witnesses") or []
    assert found, "the lab has no witness host (.lab/state.json `witnesses`: rerun `make lab`)"
    return found[0]


@pytest.fixture(scope="module")
def central(lab) -> dict:
    assert lab["central"], "the lab has no central host"
    return lab["central"][0]


def run_witness(witness: dict) -> tuple[int, str]:
    """One run of the witness's unit, as its timer starts it: exit status and its log."""
    container = witness["container"]
    since = sh(container, "date '+%Y-%m-%d %H:%M:%S'").strip()
    time.sleep(1)
    out = sh(container, "systemctl start vigie-witness.service; echo $?", check=False)
    rc = int(out.split()[-1])
    log = sh(
        container, f"journalctl -u vigie-witness.service --no-pager --since '{since}'", check=False
    )
    return rc, log


def metrics(witness: dict) -> dict[str, str]:
    lines = sh(witness["container"], f"cat {METRICS}").splitlines()
    return dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))


def witness_name(witness: dict) -> str:
    """The witness's key name (from the model, serialised by the inventory)."""
    return sh(witness["container"], "ls /etc/vigie-witness/keys").split()[0].removesuffix(".key")


def verify(witness: dict, journal: str, *extra: str) -> tuple[int, str]:
    """`vigie audit verify` on the witness's host (its pinned journal key, its state)."""
    script = (
        f"{WITNESS_VIGIE} audit verify {journal} --key /etc/vigie-witness/journal.pub "
        + " ".join(extra)
        + " 2>&1; echo rc=$?"
    )
    out = sh(witness["container"], script, check=False)
    body, _, rc = out.rstrip().rpartition("rc=")
    return int(rc), body


def held(witness: dict) -> str:
    """Digest of everything the witness holds (copy and state)."""
    return sh(
        witness["container"],
        "cd /var/lib/vigie-witness && find copy state -type f | sort | xargs sha256sum",
    )


def wait_signed(central: dict) -> int:
    """The central journal's latest signed checkpoint (the service signs its tail)."""

    def latest() -> int:
        names = sh(central["container"], f"ls {JOURNAL}/checkpoints | grep -v tmp || true").split()
        return int(names[-1]) if names else 0

    size, _ = wait_for(latest, timeout=60, interval=1)
    assert size, "the central journal has no signed checkpoint"
    return size


def copy_to_witness(central: dict, witness: dict, tmp_path) -> str:
    """The central journal as the auditor takes it, onto the witness's host."""
    local = tmp_path / "journal"
    docker_cli.docker("cp", f"{central['container']}:{JOURNAL}", str(local))
    sh(witness["container"], "rm -rf /root/audited")
    docker_cli.docker("cp", str(local), f"{witness['container']}:/root/audited")
    return "/root/audited"


def test_the_witness_runs_on_its_own_host_with_its_own_key(lab, witness, central):
    name = witness_name(witness)
    assert witness["container"] != central["container"]
    assert witness["address"] != central["address"]
    key = sh(witness["container"], f"stat -c '%a %U' /etc/vigie-witness/keys/{name}.key").split()
    assert key == ["600", "vigie-witness"]
    found = sh(central["container"], f"find /etc /var /opt /root -name '{name}.key'")
    assert not found.strip(), "the witness's key is on the central host"
    assert sh(witness["container"], "systemctl is-enabled vigie-witness.timer").strip() == "enabled"


def test_the_witness_refuses_a_journal_rewritten_and_resigned_by_the_central_host(
    witness, central, tmp_path
):
    name = witness_name(witness)
    state = f"{witness['state_dir']}/state/journal.json"
    # 1. The witness pulls the central journal and cosigns its latest checkpoint.
    signed = wait_signed(central)
    rc, log = run_witness(witness)
    assert rc == 0, log
    cosigned = json.loads(sh(witness["container"], f"cat {state}"))
    assert cosigned["size"] >= signed
    rc, out = verify(
        witness,
        f"{witness['state_dir']}/copy",
        f"--witness /etc/vigie-witness/{name}.pub --witness-state {state}",
    )
    assert rc == 0, out
    assert f"entries up to {cosigned['size']} witnessed" in out
    m = metrics(witness)
    assert (m["vigie_witness_up"], m["vigie_witness_journal_refused"]) == ("1.0", "0.0")
    before = held(witness)

    c = central["container"]
    sh(c, "systemctl stop vigie-access")
    try:
        sh(c, f"rm -rf {BACKUP} && cp -a {JOURNAL} {BACKUP}")
        original = sh(c, f"wc -c < {JOURNAL}/entries.jsonl; sha256sum < {JOURNAL}/entries.jsonl")
        # 2. The central host rewrites entry 0 and re-signs with the journal's own key.
        resigned = int(sh(c, FORGE).strip())
        assert resigned >= cosigned["size"]
        forged = copy_to_witness(central, witness, tmp_path)
        # On its own the forgery verifies: the journal's key signs whatever its host says.
        rc, out = verify(witness, forged)
        assert rc == 0, out

        # 3. The witness's next run refuses it; what it holds is unchanged.
        rc, log = run_witness(witness)
        assert rc != 0, log
        assert "JOURNAL-REFUSED" in log and "entry 0 rewritten" in log, log
        failed = sh(witness["container"], "systemctl is-failed vigie-witness.service", check=False)
        assert failed.strip() == "failed"
        m = metrics(witness)
        assert (m["vigie_witness_up"], m["vigie_witness_journal_refused"]) == ("0.0", "1.0")
        assert held(witness) == before

        # 4. The auditor, with the witness's key and its state, names the rewrite.
        rc, out = verify(
            witness, forged, f"--witness /etc/vigie-witness/{name}.pub --witness-state {state}"
        )
        assert rc != 0, out
        assert f"do not match the tree the witness cosigned at size {cosigned['size']}" in out, out
        assert f"no checkpoint is cosigned by witness {name}" in out, out
    finally:
        sh(c, f"rm -rf {JOURNAL} && mv {BACKUP} {JOURNAL}")
        sh(c, "systemctl start vigie-access")
        sh(witness["container"], "rm -rf /root/audited", check=False)

    # 5. The journal put back, the service runs and the witness follows it again.
    active, _ = wait_for(
        lambda: sh(c, "systemctl is-active vigie-access", check=False).strip() == "active",
        timeout=60,
        interval=1,
    )
    assert active, "vigie-access did not start again on the restored journal"
    # The journal as it was, byte for byte (the service may have appended since).
    length = original.split()[0]
    restored = sh(c, f"echo {length}; head -c {length} {JOURNAL}/entries.jsonl | sha256sum")
    assert restored.split() == original.split()
    rc, log = run_witness(witness)
    assert rc == 0, log
    m = metrics(witness)
    assert (m["vigie_witness_up"], m["vigie_witness_journal_refused"]) == ("1.0", "0.0")
