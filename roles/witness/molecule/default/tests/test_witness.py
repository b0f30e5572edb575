"""The witness, off the central host: it pulls the journal through nginx with its own
certificate, cosigns with its own key; a journal line rewritten on the central host
makes the next pull refuse and the unit fail, the witness's copy and state unchanged.
The tests run in order: the last one rewrites the central journal."""

import json
import time

import pytest
import testinfra

CENTRAL = testinfra.get_host("docker://vigie-mol-witness-central")
WITNESS = testinfra.get_host("docker://vigie-mol-witness")
JOURNAL = "/var/lib/vigie-access/journal"
COPY = "/var/lib/vigie-witness/copy"
STATE = "/var/lib/vigie-witness/state"
ETC = "/etc/vigie-witness"
# What node exporter's textfile collector reads: the role's link to each run's outcome.
METRICS = "/var/lib/prometheus/node-exporter/vigie_witness.prom"

# One byte more in entry 0, the line kept whole.
REWRITE = f"""python3 - <<'PY'
import pathlib
p = pathlib.Path("{JOURNAL}/entries.jsonl")
b = p.read_bytes()
i = b.index(b"}}\\n")
p.write_bytes(b[:i] + b',"x":1' + b[i:])
PY"""

GET = """python3 - <<'PY'
import ssl, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile="{ca}")
{load}
try:
    r = urllib.request.urlopen("https://{server}{path}", context=ctx, timeout=10)
    print(r.status, r.read().decode()[:200])
except urllib.error.HTTPError as e:
    print(e.code)
PY"""


def get(host, path, ca, cert=None, key=None, server="localhost"):
    load = f'ctx.load_cert_chain("{cert}", "{key}")' if cert else ""
    return host.check_output(GET.format(ca=ca, load=load, path=path, server=server))


def as_operator(path):
    d = "/etc/vigie-pki/issued/dipn78_op-0042"
    return get(CENTRAL, path, "/etc/vigie-pki/ca/ca.pem", f"{d}/cert.pem", f"{d}/key.pem")


def as_witness(path):
    tls = f"{ETC}/tls"
    return get(WITNESS, path, f"{tls}/ca.pem", f"{tls}/cert.pem", f"{tls}/key.pem",
               server="vigie-mol-witness-central")  # fmt: skip


def central_signed():
    """Entries on the central host, and the size of its latest signed checkpoint."""
    out = CENTRAL.check_output(
        f"wc -l < {JOURNAL}/entries.jsonl; ls {JOURNAL}/checkpoints | grep -v tmp | tail -n1"
    ).split()
    return int(out[0]), int(out[1])


def journal_something(n=4):
    """Operators' requests for unknown paths: refused, each one journaled; then wait
    for the service to sign a checkpoint over all of them."""
    for i in range(n):
        assert as_operator(f"/nothing-{i}").startswith("403")
    for _ in range(40):
        entries, signed = central_signed()
        if entries == signed:
            return entries
        time.sleep(0.5)
    raise AssertionError(f"no checkpoint over {entries} entries")


def pull():
    return WITNESS.run("systemctl start vigie-witness.service")


def metrics():
    """The run's outcome as the collector reads it (through the link), by name."""
    lines = WITNESS.file(METRICS).content_string.splitlines()
    return dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))


def held():
    return WITNESS.check_output("cd /var/lib/vigie-witness && find copy state -type f | sort "
                                "| xargs sha256sum")  # fmt: skip


def test_key_and_account_are_the_witness_own():
    key = WITNESS.file(f"{ETC}/keys/dpo-78.key")
    assert key.mode == 0o600 and key.user == "vigie-witness"
    assert WITNESS.file(f"{ETC}/tls/key.pem").mode == 0o600
    assert WITNESS.user("vigie-witness").shell == "/usr/sbin/nologin"
    assert WITNESS.file("/var/lib/vigie-witness").mode == 0o700
    assert not CENTRAL.run("find /etc /var /opt /root -name 'dpo-78.key'").stdout.strip()
    assert WITNESS.service("vigie-witness.timer").is_enabled


def test_only_the_witness_reads_the_journal():
    assert as_operator("/journal/entries.jsonl").startswith("403")
    assert get(CENTRAL, "/journal/", "/etc/vigie-pki/ca/ca.pem").startswith("400")
    assert as_witness("/journal/").startswith("200")
    # Nothing of the service's state but the entries and checkpoints: the rest goes
    # to the service, which knows no such identity.
    for path in ("/journal/leaves.bin", "/access.sqlite", "/api/events"):
        assert as_witness(path)[:3] in ("401", "403"), path


def test_the_witness_pulls_and_cosigns():
    size = journal_something()
    result = pull()
    assert result.rc == 0, result.stderr
    copy = WITNESS.file(f"{COPY}/entries.jsonl").content
    assert CENTRAL.file(f"{JOURNAL}/entries.jsonl").content.startswith(copy)
    state = json.loads(WITNESS.file(f"{STATE}/journal.json").content_string)
    assert state["size"] >= size
    verify = WITNESS.run(
        f"/opt/vigie-witness/bin/vigie audit verify {COPY} --key {ETC}/journal.pub "
        f"--witness {ETC}/dpo-78.pub --witness-state {STATE}/journal.json"
    )
    assert verify.rc == 0, verify.stdout + verify.stderr
    assert f"entries up to {state['size']} witnessed" in verify.stderr
    # An extension is taken and cosigned in turn.
    journal_something()
    assert pull().rc == 0
    assert json.loads(WITNESS.file(f"{STATE}/journal.json").content_string)["size"] > size
    m = metrics()
    assert (m["vigie_witness_up"], m["vigie_witness_journal_refused"]) == ("1.0", "0.0")
    assert WITNESS.file("/usr/local/share/vigie/prometheus/vigie-witness.rules.yml").exists


@pytest.fixture
def rewritten():
    """Entry 0 rewritten in place on the central host (the service stopped, or it
    would refuse to go on with a journal that no longer matches its checkpoints)."""
    CENTRAL.check_output("systemctl stop vigie-access")
    CENTRAL.check_output(f"cp -p {JOURNAL}/entries.jsonl /root/entries.orig")
    CENTRAL.check_output(REWRITE)
    yield
    CENTRAL.check_output(f"cp -p /root/entries.orig {JOURNAL}/entries.jsonl")
    CENTRAL.check_output("systemctl start vigie-access")


def test_a_rewritten_line_is_refused_and_nothing_changes(rewritten):
    before = held()
    result = pull()
    assert result.rc != 0
    assert WITNESS.run("systemctl is-failed vigie-witness.service").stdout.strip() == "failed"
    log = WITNESS.check_output("journalctl -u vigie-witness.service --no-pager")
    assert "JOURNAL-REFUSED: journal: entry 0 rewritten" in log
    assert held() == before
    # Seen outside the witness's own journal: the alert rule's input.
    m = metrics()
    assert (m["vigie_witness_up"], m["vigie_witness_journal_refused"]) == ("0.0", "1.0")
