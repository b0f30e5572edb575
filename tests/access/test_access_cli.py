"""`vigie access explain|matrix|export` and `vigie audit verify|show|keygen`, as users run them."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys

from tests.access.pilot import PILOT, REPO
from vigie.audit.journal import ENTRIES, Journal
from vigie.audit.note import Signer


def vigie(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_explain_names_the_rule_behind_each_yes_and_no():
    r = vigie("access", "explain", PILOT, "col-houdan/portail", "--event", "intrusion")
    assert r.returncode == 0, r.stderr
    assert "yes ggd78" in r.stdout and "ACCESS-FORCE-COMPETENT" in r.stdout
    assert "no  dipn78" in r.stdout and "ACCESS-DECISION-REQUIRED" in r.stdout
    assert "no  vigie-ops" in r.stdout and "ACCESS-ADMIN-NEVER" in r.stdout
    assert "window 5 min before to 15 min after" in r.stdout
    assert "tamper" not in r.stdout.split("\n", 2)[2]
    r = vigie("access", "explain", PILOT, "mairie-sartrouville/parvis", "--event", "requisition")
    assert "yes dipn78" in r.stdout and "no  pm-sartrouville" in r.stdout


def test_explain_usage_errors():
    assert vigie("access", "explain", PILOT, "col-houdan/nope").returncode == 2
    assert vigie("access", "explain", PILOT, "col-houdan/portail", "--event", "x").returncode == 2
    assert vigie("access", "explain", "no/such/dir", "a/b").returncode == 2


def test_matrix_csv_and_markdown():
    r = vigie("access", "matrix", PILOT, "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 54 * 8 * 6
    yes = {(x["camera"], x["event_class"], x["agency"]) for x in rows if x["allowed"] == "yes"}
    assert ("col-houdan/portail", "intrusion", "ggd78") in yes
    assert not any(agency == "vigie-ops" for _c, _e, agency in yes)
    md = vigie("access", "matrix", PILOT).stdout
    assert (
        "| `col-houdan/portail` (Collège François Mauriac) | Centre de supervision départemental "
        "(cd78-supervision), propriétaire; Groupement de gendarmerie départementale des Yvelines "
        "(ggd78), force compétente |"
    ) in md


def test_export_writes_a_policy_set_that_validates(tmp_path):
    r = vigie("access", "export", PILOT, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    sums = dict(line.split("  ")[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert (
        'forbid (principal in Vigie::Agency::"vigie-ops", action, resource);'
        in (out / "vigie.cedar").read_text()
    )


def test_audit_keygen_verify_show(tmp_path):
    keys = tmp_path / "keys"
    assert vigie("audit", "keygen", "vigie-journal-78", keys).returncode == 0
    assert oct((keys / "vigie-journal-78.key").stat().st_mode & 0o777) == "0o600"
    signer = Signer.from_pem("vigie-journal-78", (keys / "vigie-journal-78.key").read_bytes())
    with Journal(tmp_path / "j", signer) as journal:
        for i in range(30):
            journal.append(
                {
                    "action": "segment_allowed" if i % 2 else "segment_refused",
                    "decision": "allow" if i % 2 else "deny",
                    "actor": {"agency": "ggd78", "operator": f"ggd78/op-000{7 + i % 2}"},
                    "camera": "col-houdan/portail",
                    "event": "ev-1",
                    "rule": "ACCESS-FORCE-COMPETENT",
                }
            )
        journal.checkpoint()
    pub = keys / "vigie-journal-78.pub"
    r = vigie("audit", "verify", tmp_path / "j", "--key", pub, "--entry", "12")
    assert r.returncode == 0, r.stdout + r.stderr
    shown = vigie("audit", "show", tmp_path / "j", "--operator", "ggd78/op-0008").stdout
    rows = [x for x in shown.splitlines() if not x.startswith("#") and "règle" not in x]
    assert len(rows) == 15 and all("segment_allowed" in x for x in rows), shown
    lines = (tmp_path / "j" / ENTRIES).read_text().splitlines(keepends=True)
    lines[17] = lines[17].replace("segment_allowed", "segment_refused")
    (tmp_path / "j" / ENTRIES).write_text("".join(lines))
    r = vigie("audit", "verify", tmp_path / "j", "--key", pub)
    assert r.returncode == 1 and "entry 17:" in r.stdout
    assert vigie("audit", "verify", tmp_path / "j", "--key", tmp_path / "none").returncode == 2


def test_audit_cosign_as_the_witness(tmp_path):
    keys = tmp_path / "keys"
    assert vigie("audit", "keygen", "vigie-journal-78", keys).returncode == 0
    assert vigie("audit", "keygen", "dpo-78", keys, "--witness").returncode == 0
    signer = Signer.from_pem("vigie-journal-78", (keys / "vigie-journal-78.key").read_bytes())
    cosign = (
        "audit", "cosign", tmp_path / "j", "--witness-key", keys / "dpo-78.key", "--name",
        "dpo-78", "--log-key", keys / "vigie-journal-78.pub", "--state", tmp_path / "w.json",
    )  # fmt: skip
    with Journal(tmp_path / "j", signer) as journal:
        for i in range(10):
            journal.append({"action": "grant_created", "decision": "allow", "n": i})
        journal.checkpoint()
    r = vigie(*cosign)
    assert r.returncode == 0, r.stdout + r.stderr
    with Journal(tmp_path / "j", signer) as journal:
        journal.append({"action": "grant_created", "decision": "allow", "n": 10})
        journal.checkpoint()
    assert vigie(*cosign).returncode == 0
    witness = ("--witness", keys / "dpo-78.pub")
    assert (
        vigie(
            "audit", "verify", tmp_path / "j", "--key", keys / "vigie-journal-78.pub", *witness
        ).returncode
        == 0
    )
    # The log rewrites its history and signs it: the witness refuses.
    lines = (tmp_path / "j" / ENTRIES).read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"n":2', '"n":20')
    (tmp_path / "j" / ENTRIES).write_text("".join(lines))
    (tmp_path / "j" / "leaves.bin").unlink()
    for f in (tmp_path / "j" / "checkpoints").iterdir():
        f.unlink()
    with Journal(tmp_path / "j", signer) as journal:
        journal.append({"action": "grant_created", "decision": "allow", "n": 11})
        journal.checkpoint()
    r = vigie(*cosign)
    assert r.returncode == 1 and "WITNESS-REFUSED" in r.stdout and "not consistent" in r.stdout
