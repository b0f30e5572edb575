"""The central_db role on two database nodes and a witness: the cluster forms
with one leader and one synchronous standby, a commit is on the standby, the
leader's container killed during a stream of commits loses none of them and the
standby takes over, the old leader rejoins, and a leader cut off from etcd by a
real partition demotes itself before the other node is promoted.

The faults are real: `docker kill` of a container, nftables dropping traffic.
Commands run with `docker exec`, so that a node can be watched while its
network is cut. The figures are printed (pytest -s or the JUnit report)."""

import json
import subprocess
import threading
import time

DB = ["vigie-mol-central-db1", "vigie-mol-central-db2"]
WITNESS = "vigie-mol-central-db-witness"
ADDRESS = {DB[0]: "10.231.188.11", DB[1]: "10.231.188.12", WITNESS: "10.231.188.13"}
TTL = 20  # central_db__ttl
testinfra_hosts = [f"docker://{name}" for name in [*DB, WITNESS]]


def run(node, cmd, user=None, timeout=15):
    argv = ["docker", "exec", *(["-u", user] if user else []), node, "bash", "-c", cmd]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "timeout")


def sql(node, query, timeout=10):
    argv = ["docker", "exec", "-u", "postgres", node, "psql", "-XAtq", "-v", "ON_ERROR_STOP=1"]
    argv += ["-c", query]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "timeout")


def is_primary(node):
    """True: a primary; False: a replica; None: PostgreSQL not answering."""
    r = sql(node, "SELECT pg_is_in_recovery()", timeout=5)
    if r.returncode != 0:
        return None
    return r.stdout.strip() == "f"


def has_note(node, token):
    return sql(node, f"SELECT count(*) FROM journal WHERE note = '{token}'").stdout.strip() == "1"


def members():
    for node in DB:
        r = run(node, "patronictl -c /etc/patroni/config.yml list -f json")
        if r.returncode == 0:
            return json.loads(r.stdout)
    return []


def wait_healthy(timeout=120):
    """Wait for one running leader and one synchronous standby that streams with
    no lag; return (leader, standby)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        seen = members()
        leaders = [m for m in seen if m["Role"] == "Leader" and m["State"] == "running"]
        sync = [
            m
            for m in seen
            if m["Role"] == "Sync Standby"
            and m["State"] in ("running", "streaming")
            and not m.get("Lag in MB")
        ]
        if len(leaders) == 1 and len(sync) == 1:
            return leaders[0]["Member"], sync[0]["Member"]
        time.sleep(1)
    raise AssertionError(f"no healthy cluster after {timeout} s: {seen}")


def test_services(host):
    name = host.backend.get_hostname()
    assert host.service("etcd").is_running and host.service("etcd").is_enabled
    if name == WITNESS:
        assert not host.package("postgresql-15").is_installed
        assert not host.package("patroni").is_installed
        return
    assert host.service("patroni").is_running and host.service("patroni").is_enabled
    config = host.file("/etc/patroni/config.yml")
    assert (config.user, config.group, config.mode) == ("postgres", "postgres", 0o600)
    # postgresql-common created no cluster of its own: Patroni's is the only one.
    assert host.check_output("pg_lsclusters -h") == ""


def test_credentials_generated_on_the_host_and_not_on_command_lines(host):
    if host.backend.get_hostname() != DB[0]:
        return
    secrets = host.file("/etc/vigie-central-db")
    assert (secrets.user, secrets.mode) == ("root", 0o700)
    password = host.check_output("cat /etc/vigie-central-db/superuser")
    assert len(password) >= 40
    for node in DB:
        assert password not in run(node, "ps -eo args").stdout
        assert run(node, f"grep -qF -- '{password}' /etc/patroni/config.yml").returncode == 0


def test_etcd_has_three_healthy_members():
    endpoints = ",".join(f"http://{a}:2379" for a in ADDRESS.values())
    r = run(WITNESS, f"ETCDCTL_API=3 etcdctl --endpoints={endpoints} endpoint health")
    assert r.returncode == 0 and (r.stdout + r.stderr).count("is healthy") == 3, r.stdout + r.stderr
    r = run(WITNESS, "ETCDCTL_API=3 etcdctl member list")
    assert len(r.stdout.strip().splitlines()) == 3, r.stdout


def test_cluster_has_one_leader_and_one_synchronous_standby():
    leader, standby = wait_healthy(90)
    roles = sorted(m["Role"] for m in members())
    assert roles == ["Leader", "Sync Standby"]
    assert sql(leader, "SELECT sync_state FROM pg_stat_replication").stdout.split() == ["sync"]
    config = json.loads(
        run(
            leader,
            f"python3 -c \"import urllib.request; print(urllib.request.urlopen('http://{ADDRESS[leader]}:8008/config').read().decode())\"",
        ).stdout
    )
    assert config["synchronous_mode"] is True and config["postgresql"]["use_pg_rewind"] is True
    print(f"\nleader {leader}, synchronous standby {standby}, dynamic configuration {config}")


def test_a_commit_on_the_leader_is_on_the_standby():
    leader, standby = wait_healthy(60)
    token = f"row-{time.time_ns()}"
    assert sql(leader, "CREATE TABLE IF NOT EXISTS journal (note text)").returncode == 0
    r = sql(leader, f"INSERT INTO journal VALUES ('{token}')")
    assert r.returncode == 0, r.stderr
    # Acknowledged means flushed on the standby (synchronous_commit=on); applied
    # and visible to its readers a moment later.
    deadline = time.monotonic() + 5
    while not has_note(standby, token):
        assert time.monotonic() < deadline, "the committed row never reached the standby"
        time.sleep(0.1)


class Writer(threading.Thread):
    """Inserts 1, 2, 3… on a node, one transaction each, until one fails; keeps
    the ids whose commit was acknowledged."""

    def __init__(self, node):
        super().__init__(daemon=True)
        self.node, self.acked, self.stop = node, [], False

    def run(self):
        i = 0
        while not self.stop:
            i += 1
            if sql(self.node, f"INSERT INTO stream VALUES ({i})", timeout=10).returncode != 0:
                return
            self.acked.append(i)


def test_failover_when_the_leader_is_killed_loses_no_acknowledged_commit():
    leader, standby = wait_healthy(60)
    assert sql(leader, "CREATE TABLE IF NOT EXISTS stream (id int PRIMARY KEY)").returncode == 0
    writer = Writer(leader)
    writer.start()
    deadline = time.monotonic() + 30
    while len(writer.acked) < 20:
        assert time.monotonic() < deadline and writer.is_alive(), "the writer could not commit"
        time.sleep(0.1)
    killed = time.monotonic()
    subprocess.run(["docker", "kill", leader], check=True, capture_output=True)
    writer.join(15)
    acked = list(writer.acked)
    while True:
        r = sql(standby, "INSERT INTO stream VALUES (-1)", timeout=3)
        if r.returncode == 0:
            break
        assert time.monotonic() - killed < 60, f"{standby} never accepted a write: {r.stderr}"
        time.sleep(0.2)
    took = time.monotonic() - killed
    present = {int(x) for x in sql(standby, "SELECT id FROM stream").stdout.split()}
    lost = sorted(set(acked) - present)
    print(
        f"\nfailover: {leader} killed, {standby} leader and writable after {took:.1f} s; "
        f"{len(acked)} commits acknowledged before the kill, {len(lost)} lost"
    )
    assert not lost, f"acknowledged commits lost: {lost}"
    assert is_primary(standby) is True
    assert took <= 30


def test_the_old_leader_rejoins_as_a_synchronous_standby():
    old = next(n for n in DB if run(n, "true").returncode != 0)
    started = time.monotonic()
    subprocess.run(["docker", "start", old], check=True, capture_output=True)
    leader, standby = wait_healthy(120)
    took = time.monotonic() - started
    assert standby == old
    rewind = run(old, "journalctl -u patroni -b --no-pager | grep -ci rewind").stdout.strip()
    print(
        f"\nrejoin: {old} back as synchronous standby {took:.1f} s after its start "
        f"(log lines about pg_rewind: {rewind})"
    )
    token = f"after-{time.time_ns()}"
    assert sql(leader, f"INSERT INTO journal VALUES ('{token}')").returncode == 0
    deadline = time.monotonic() + 5
    while not has_note(old, token):
        assert time.monotonic() < deadline
        time.sleep(0.1)


FENCE = "vigie_test_fence"


def partition(node, peers):
    others = ", ".join(ADDRESS[p] for p in peers)
    rules = (
        f"add table inet {FENCE}\n"
        f"add chain inet {FENCE} in {{ type filter hook input priority -10; policy accept; }}\n"
        f"add chain inet {FENCE} out {{ type filter hook output priority -10; policy accept; }}\n"
        f"add rule inet {FENCE} in ip saddr {{ {others} }} drop\n"
        f"add rule inet {FENCE} out ip daddr {{ {others} }} drop\n"
    )
    r = run(node, f"nft -f - <<'EOF'\n{rules}EOF")
    assert r.returncode == 0, r.stderr


def test_a_leader_cut_off_from_etcd_demotes_itself_before_another_is_promoted():
    leader, standby = wait_healthy(120)
    partition(leader, [standby, WITNESS])
    cut = time.monotonic()
    demoted = promoted = None
    both = []
    try:
        while demoted is None or promoted is None:
            now = time.monotonic() - cut
            assert now < 60, f"after 60 s: demoted {demoted}, promoted {promoted}"
            old, new = is_primary(leader), is_primary(standby)
            if old is True and new is True:
                both.append(now)
            if demoted is None and old is not True:
                demoted = now
            if promoted is None and new is True:
                promoted = now
            time.sleep(0.2)
        r = sql(leader, "INSERT INTO journal VALUES ('split-brain?')", timeout=5)
        refused = r.returncode != 0
        print(
            f"\nfencing: {leader} cut off from etcd stopped being a primary after "
            f"{demoted:.1f} s (TTL {TTL} s), {standby} promoted after {promoted:.1f} s; "
            f"write on the old leader: {(r.stderr or r.stdout).strip()[:120]!r}"
        )
        assert not both, f"two primaries at {both}"
        assert demoted < promoted
        assert demoted <= TTL
        assert refused
    finally:
        run(leader, f"nft delete table inet {FENCE}")
    # The healed node must rejoin as a replica: watch for two primaries while it does.
    healed = time.monotonic()
    while time.monotonic() - healed < 15:
        old, new = is_primary(leader), is_primary(standby)
        assert not (old and new), f"two primaries {time.monotonic() - healed:.1f} s after healing"
        time.sleep(0.3)
    new_leader, new_standby = wait_healthy(120)
    print(
        f"fencing: partition healed, {new_standby} synchronous standby of {new_leader} after "
        f"{time.monotonic() - healed:.1f} s"
    )
    assert (new_leader, new_standby) == (standby, leader)
