"""The journal fails closed. Any value is journaled safely; when the disk refuses
(full, remounted read-only) every viewing is refused, the metric and the DPO say
so, nothing waiting is dropped, and the service serves again by itself once the
disk takes writes. Real faults: a small tmpfs filled up, then remounted read-only
(mount needs root: without it the test fails, it never skips)."""

from __future__ import annotations

import collections
import datetime as dt
import errno
import json
import math
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.services import CAMERA, SITE
from vigie import central
from vigie.audit.journal import SAFE_TEXT, Journal, entry_line, safe_entry, safe_value
from vigie.audit.note import Signer
from vigie_access.journal import ORIGIN, JournalUnavailable, SharedJournal, read_entries

VIGIE = str(Path(sys.executable).parent / "vigie")
VIEWS = ("segment_allowed", "playlist_allowed", "snapshot_allowed")


# -- any value, journaled safely ---------------------------------------------------------
def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def _check_safe(value) -> None:
    safe = safe_value(value)
    text = json.dumps(safe, ensure_ascii=False, sort_keys=True, allow_nan=False)
    assert json.loads(text.encode("utf-8").decode("utf-8")) == safe
    assert all(len(t) <= SAFE_TEXT + 40 for t in _texts(safe))
    entry = safe_entry({"action": "x", "decision": "allow", "v": value})
    entry_line(7, entry).decode("utf-8")


class _Hostile:
    def __str__(self):
        raise RuntimeError("no text for you")


HOSTILE = [
    "/hls/\udcff\udc80.ts",  # undecodable bytes, as surrogateescape hands them over
    "\ud800 lone high surrogate",
    b"\xff\xd8\xff\xe0 not utf-8",
    "x" * 100_000,
    b"y" * 100_000,
    float("nan"),
    float("-inf"),
    10**5000,
    {"nested": [{"deeper": [[[[[["\udcff"]]]]]]}], 3: "int key", None: b"\x00"},
    list(range(10_000)),
    {1, 2, 3},
    (1, "two"),
    _Hostile(),
    dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
    memoryview(b"\xfe\xff"),
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_are_made_safe(value):
    _check_safe(value)


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(40)))
    if kind == 1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
    if kind == 2:
        return rng.choice([0, -1, 2**64, -(2**300), 10**4400])
    if kind == 3:
        return rng.choice([0.5, math.inf, -math.inf, math.nan, 1e308, -0.0])
    if kind == 4:
        return rng.choice([None, True, False])
    if kind == 5:
        return "z" * rng.randrange(3000)
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 7:
        return tuple(_random_value(rng, depth + 1) for _ in range(rng.randrange(5)))
    keys = [_random_value(rng, 4) for _ in range(rng.randrange(5))]
    return {k if isinstance(k, (str, int, float, bool)) or k is None else str(k): v for k, v in
            zip(keys, (_random_value(rng, depth + 1) for _ in keys), strict=False)}  # fmt: skip


def test_random_values_are_made_safe():
    """Without hypothesis: 3,000 seeded random nested values, every code point."""
    rng = random.Random(20261207)
    for _ in range(3000):
        _check_safe(_random_value(rng))


_surrogates = st.binary(max_size=30).map(lambda b: b.decode("utf-8", "surrogateescape"))
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | _surrogates
    | st.binary()
    | st.text(min_size=1100, max_size=1500)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | _surrogates | st.integers(), inner)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(_values)
def test_safe_value_property(value):
    _check_safe(value)


# -- the writer never dies ---------------------------------------------------------------
def _signer(tmp_path) -> tuple[Signer, Path]:
    signer = Signer.generate(ORIGIN)
    vkey = tmp_path / "journal.vkey"
    vkey.write_text(signer.verifier.text() + "\n")
    return signer, vkey


def audit_verify(journal: Path, vkey: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [VIGIE, "audit", "verify", str(journal), "--key", str(vkey)],
        capture_output=True,
        text=True,
    )


def test_hostile_entries_never_kill_the_writer(tmp_path):
    signer, vkey = _signer(tmp_path)
    j = SharedJournal(tmp_path / "j", signer, interval_s=0.2)
    try:
        good = [j.append({"action": "segment_allowed", "decision": "allow", "v": v})
                for v in HOSTILE]  # fmt: skip
        assert j.wait_sync(good, 5)
        # Entries the journal refuses outright: replaced by one saying so, not served.
        bad = [j.append({"action": "segment_allowed"}), j.append({"decision": "allow", "seq": 1})]
        assert not j.wait_sync(bad, 5)
        after = j.append({"action": "segment_allowed", "decision": "allow", "path": "/hls/ok"})
        assert j.wait_sync([after], 5) and j.healthy and j._writer.is_alive()
    finally:
        j.close()
    entries = read_entries(tmp_path / "j")
    assert len(entries) == len(HOSTILE) + 3
    assert [e["result"] for e in entries[len(HOSTILE) : -1]] == ["unwritable"] * 2
    assert entries[-1]["path"] == "/hls/ok"
    assert entries[0]["v"] == "/hls/\\udcff\\udc80.ts"
    assert len(entries[3]["v"]) < SAFE_TEXT + 40  # the 100 kB field, cut with a marker
    r = audit_verify(tmp_path / "j", vkey)
    assert r.returncode == 0, r.stdout + r.stderr


# -- real disk faults -----------------------------------------------------------------------
def mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)


def journal_moved_to_tmpfs(gw, tmp_path: Path, spare_kb: int) -> Path:
    """The service's journal copied onto a tmpfs `spare_kb` larger than what it
    holds, mounted in its place; the service restarted on it."""
    journal = gw.service_dir / "journal"
    gw.procs["service"].stop()
    saved = tmp_path / "saved"
    shutil.copytree(journal, saved)
    used = sum(p.stat().st_size for p in saved.rglob("*") if p.is_file())
    mount_tmpfs(journal, f"{used // 1024 + spare_kb}k")
    shutil.copytree(saved, journal, dirs_exist_ok=True)
    gw.start_service()
    return journal


def remount(path: Path, mode: str, timeout: float = 10) -> None:
    """`mount -o remount,ro|rw`; EBUSY while the journal has a file open for writing
    (it closes them once it has rolled back a failed write): try again."""
    end = time.monotonic() + timeout
    while True:
        r = subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], capture_output=True)
        if r.returncode == 0:
            return
        if time.monotonic() > end:
            raise AssertionError(f"remount {mode} {path}: {r.stderr.decode()}")
        time.sleep(0.05)


def fill(folder: Path) -> None:
    """Write a filler file until the filesystem is full (ENOSPC), for real."""
    with open(folder / f"filler-{time.monotonic_ns()}", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:
            while True:
                f.write(b"\0")
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc


def until(check, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"{what}: not within {timeout} s"
        time.sleep(0.05)


def unfill(folder: Path) -> None:
    for p in folder.glob("filler-*"):
        p.unlink()


@pytest.fixture
def tmpfs(tmp_path):
    path = tmp_path / "disk"
    mount_tmpfs(path, "512k")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_then_read_only_backlog_bounded_then_recovers(tmpfs, tmp_path):
    signer, vkey = _signer(tmp_path)
    events = []
    j = SharedJournal(tmpfs / "j", signer, interval_s=0.2, retry_s=0.1, max_backlog=40)
    j.listen(lambda event, reason: events.append((event, reason)))
    try:
        first = [j.append({"action": "segment_allowed", "decision": "allow", "i": i})
                 for i in range(5)]  # fmt: skip
        assert j.wait_sync(first, 5)
        fill(tmpfs)
        # 20 kB: more than the slack left in the files' last pages.
        during = [j.append({"action": "segment_allowed", "decision": "allow", "i": i,
                            "pad": "p" * 1000}) for i in range(5, 25)]  # fmt: skip
        assert not j.wait_sync(during, 5) and not j.healthy
        assert "No space left on device" in j.reason
        fill(tmpfs)  # whatever a rollback freed
        remount(tmpfs, "ro")
        time.sleep(0.5)
        assert not j.healthy and "Read-only file system" in j.reason
        more = []
        with pytest.raises(JournalUnavailable):  # bounded: refused, never dropped
            for i in range(25, 100):
                more.append(j.append({"action": "segment_allowed", "decision": "allow", "i": i}))
        assert j.backlog == 40 and len(more) == 20
        remount(tmpfs, "rw")
        unfill(tmpfs)
        until(lambda: j.healthy, 10, "the journal writing again")
        assert j.wait_sync(during + more, 10)
    finally:
        j.close()
    kinds = [e for e, _ in events]
    assert kinds.count("down") == 1 and kinds[-1] == "up" and kinds.count("failed") >= 2
    assert any("Read-only" in r for _, r in events)
    assert [e["i"] for e in read_entries(tmpfs / "j")] == list(range(45))
    r = audit_verify(tmpfs / "j", vkey)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_write_cut_by_a_full_disk_leaves_no_torn_line(tmpfs, tmp_path):
    """The Journal itself: a failed fsync rolls back to the last durable entry."""
    signer, vkey = _signer(tmp_path)
    journal = Journal(tmpfs / "j", signer, checkpoint_interval_s=1e9)
    journal.append({"action": "a", "decision": "allow"})
    journal.checkpoint()
    fill(tmpfs)
    with pytest.raises(OSError):
        for i in range(1000):
            journal.append({"action": "b", "decision": "allow", "pad": "p" * 900, "i": i})
        journal.flush(sync=True)
    journal.rollback()
    assert journal.size == journal.durable_size == 1
    unfill(tmpfs)
    journal.append({"action": "c", "decision": "allow"})
    journal.checkpoint()
    journal.close()
    assert [e["action"] for e in read_entries(tmpfs / "j")] == ["a", "c"]
    r = audit_verify(tmpfs / "j", vkey)
    assert r.returncode == 0, r.stdout + r.stderr


# -- through nginx and the real service ---------------------------------------------------
@pytest.fixture
def journal_on_tmpfs(gateway, tmp_path):
    """The running service's journal moved onto a small tmpfs (service restarted);
    put back where it was afterwards."""
    svc = gateway.procs["service"]
    journal = journal_moved_to_tmpfs(gateway, tmp_path, spare_kb=1024)
    try:
        yield journal
    finally:
        svc.stop()
        subprocess.run(["mount", "-o", "remount,rw", str(journal)], check=False)
        unfill(journal)
        after = tmp_path / "after"
        shutil.copytree(journal, after)
        subprocess.run(["umount", str(journal)], check=True)
        shutil.rmtree(journal)
        shutil.copytree(after, journal)
        gateway.start_service()


def _metric(gateway, name: str) -> float:
    import requests

    text = requests.get(f"http://127.0.0.1:{gateway.metrics_port}/metrics", timeout=5).text
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, f"{name} not in the metrics"
    return float(m.group(1))


def test_journal_down_refuses_every_view_and_recovers(gateway, journal_on_tmpfs):
    journal = journal_on_tmpfs
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=50)
    doc = gateway.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    op = gateway.op("dipn78")
    g = gateway.wait_grant(op, doc["time"])
    s = gateway.operator(op)
    tok = s.post(f"{gateway.url}/api/grants/{g['id']}/token", timeout=5)
    assert tok.status_code == 200, tok.text
    h = {"Authorization": f"Bearer {tok.json()['token']}"}
    served: collections.Counter = collections.Counter()

    def view(path: str):
        r = s.get(f"{gateway.url}{path}", headers=h, timeout=10)
        if r.status_code == 200:
            served[path] += 1
        return r

    playlist = f"/hls/{g['id']}/index.m3u8"
    pl = view(playlist)
    assert pl.status_code == 200
    segs = [f"/hls/{g['id']}/{x}" for x in pl.text.splitlines() if x.endswith(".ts")]
    assert all(view(p).status_code == 200 for p in segs[:3])
    assert _metric(gateway, "vigie_access_journal_healthy") == 1

    got = []
    dpo = gateway.mqtt_client(central.DPO_IDENTITY)
    dpo.on_message = lambda _c, _u, m: got.append(json.loads(m.payload))
    dpo.subscribe(central.DPO_ALERTS, qos=1)
    time.sleep(0.3)
    nginx_log = gateway.root / "nginx/error.log"
    log_start = nginx_log.stat().st_size
    failures_before = _metric(gateway, "vigie_access_journal_write_failures_total")
    try:
        # The disk full. The files' last pages may still take a few entries (those
        # views are served, and journaled); from the first refusal on, none is served.
        fill(journal)
        for i in range(100):
            first = view(segs[i % len(segs)])
            if first.status_code != 200:
                break
        else:
            raise AssertionError("100 views served on a full disk")
        fill(journal)  # whatever a rollback freed
        refused = [first] + [view(p) for p in (playlist, *segs[:5]) for _ in range(2)]
        assert all(r.status_code != 200 for r in refused), [r.status_code for r in refused]
        assert all(b"G@" not in r.content[:4] for r in refused)  # no MPEG-TS packet
        # The service's 503 reaches the client as 503 (not auth_request's own 500).
        assert {r.status_code for r in refused} == {503}, [r.status_code for r in refused]
        assert all(r.headers.get("Retry-After") == "1" for r in refused)
        assert "auth request unexpected status: 503" in nginx_log.read_text()[log_start:]
        assert _metric(gateway, "vigie_access_journal_healthy") == 0
        assert _metric(gateway, "vigie_access_journal_write_failures_total") > failures_before
        # Then read-only: still refused, and the log says why.
        remount(journal, "ro")
        time.sleep(1.5)
        refused += [view(p) for p in (playlist, segs[0])]
        assert all(r.status_code != 200 for r in refused[-2:])
        log = (gateway.service_dir / "log").read_text()
        assert "No space left on device" in log and "Read-only file system" in log
        assert re.search(r"ERROR|journal cannot be written", log)
        # The disk back: served again, without a restart.
        remount(journal, "rw")
        unfill(journal)
        until(lambda: _metric(gateway, "vigie_access_journal_healthy") == 1, 10, "recovery")
        assert view(segs[0]).status_code == 200
        assert view(playlist).status_code == 200
        time.sleep(1.5)  # the DPO's alerts arrive; a checkpoint covers the latest entries
    finally:
        dpo.disconnect()
        dpo.loop_stop()
    assert [a["journal"] for a in got if "journal" in a] == ["down", "up"], got

    # Every 200 has its entry (one entry per 200, same path, not withheld); the views
    # refused meanwhile are journaled too, marked withheld (queued, not dropped).
    entries = read_entries(journal)
    mine = [e for e in entries if e.get("path", "").startswith(f"/hls/{g['id']}/")]
    written = collections.Counter(
        e["path"] for e in mine if e["action"] in VIEWS and "withheld" not in e
    )
    for path, n in served.items():
        assert written[path] >= n, (path, n, written[path])
    assert sum(written.values()) == sum(served.values())
    withheld = [e for e in mine if "withheld" in e]
    assert len(withheld) == len(refused)
    assert any(e["action"] == "journal_outage" for e in entries)
    r = audit_verify(journal, gateway.service_dir / "keys/journal.vkey")
    assert r.returncode == 0, r.stdout + r.stderr
