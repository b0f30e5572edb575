"""Speed of access on event and of the audit journal, on one core.

Prints each figure beside its goal, and side-by-side ratios:
- per-segment check (token + certificate binding + camera + window): goal >= 5,000/s;
  HMAC-SHA256 beside an Ed25519 signature check of the same payload;
- policy decisions by the Cedar engine on a generated 4,000-camera département:
  goal >= 1,000/s; the model's own rules beside it;
- journal appends with checkpoints: goal >= 10,000/s; and durable, as the access
  service journals (SharedJournal: one writer thread, group commit with fsync, each
  appender waiting for its entry on disk), goal >= 10,000/s;
- `vigie audit verify` of 1,000,000 entries: goal <= 10 s;
- the differential engine vs model on every camera x agency x event class of the
  département (skip with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vigie.access_policy.competence import decide
from vigie.access_policy.differential import all_cameras, compare, events_for
from vigie.access_policy.events import Request
from vigie.access_policy.policy import AccessPolicy
from vigie.access_policy.synthetic import enrich
from vigie.access_policy.tokens import Grant, TokenAuthority, fingerprint_of
from vigie.audit.journal import Journal
from vigie.audit.note import COSIGNATURE, Signer
from vigie.audit.verify import verify
from vigie.audit.witness import Witness
from vigie.generate import generate
from vigie.loader import load_inventory
from vigie_access.journal import SharedJournal


def rate(n: int, fn) -> tuple[float, float]:
    """Per second of wall time, and per second of this process's CPU time (the machine is
    shared: when other jobs run, the CPU figure is the one a dedicated core would give)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn(n)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return n / elapsed, n / cpu


def show(name: str, value: float, goal: str, ok: bool, unit: str = "/s", cpu: float = 0) -> None:
    extra = f"  (CPU time: {cpu:,.0f}{unit.strip()})" if cpu else ""
    print(f"{name:58} {value:>12,.0f}{unit:3}  goal {goal:10} {'ok' if ok else 'MISSED'}{extra}")


def bench_tokens(n: int) -> None:
    authority = TokenAuthority(TokenAuthority.new_key())
    now = int(time.time())
    cam = "col-houdan/portail"
    grant = Grant("g-1", "ggd78", (cam,), now - 300, now + 900, now + 900)
    fp = fingerprint_of(b"cert")
    token = authority.issue("ggd78/op-0007", fp, grant)

    def checks(k: int) -> None:
        for _ in range(k):
            authority.check(token, fp, cam, start=now + 10, end=now + 14)

    hmac_rate, hmac_cpu = rate(n, checks)
    show(
        "per-segment check, HMAC-SHA256 token (checks/s/core)",
        hmac_rate,
        ">= 5,000",
        hmac_rate >= 5000,
        cpu=hmac_cpu,
    )
    key = Ed25519PrivateKey.generate()
    payload = token.encode()
    sig = key.sign(payload)
    public = key.public_key()

    def ed(k: int) -> None:
        for _ in range(k):
            public.verify(sig, payload)

    ed_rate, _ = rate(n // 4, ed)
    print(f"{'  beside: Ed25519 verify of the same payload alone (/s)':58} {ed_rate:>12,.0f}/s")
    print(f"{'  ratio HMAC check / Ed25519 verify':58} {hmac_rate / ed_rate:>12.1f}x")


def bench_decisions(inv, policy: AccessPolicy, n: int) -> None:
    rng = random.Random(1)
    cameras = all_cameras(inv)
    ops = {
        a.id: (a.operators or [AccessPolicy.representative(a.id)])[0] for a in inv.agencies.values()
    }
    reqs = []
    for _ in range(n):
        cam = rng.choice(cameras)
        event = rng.choice(events_for(inv, cam))
        agency = rng.choice(list(ops))
        action = "export" if event.way == "requisition" else "view_clip"
        approver = "cd78-supervision/sup-0001"
        reqs.append(Request(ops[agency], action, cam, event, approved_by=approver))

    start = time.perf_counter()
    policy.warm()
    print(
        f"{'  policy start: entities of every site parsed once (s)':58} "
        f"{time.perf_counter() - start:>12.2f} s"
    )

    def engine(k: int) -> None:
        for req in reqs[:k]:
            policy.authorize(req)

    def model(k: int) -> None:
        for req in reqs[:k]:
            decide(inv, req, representative=True)

    e_rate, e_cpu = rate(n, engine)
    show(
        "policy decisions, Cedar engine, 4,000 cameras (/s/core)",
        e_rate,
        ">= 1,000",
        e_rate >= 1000,
        cpu=e_cpu,
    )
    m_rate, _ = rate(n, model)
    print(f"{'  beside: the model rules in Python (/s)':58} {m_rate:>12,.0f}/s")
    print(f"{'  ratio engine / model':58} {e_rate / m_rate:>12.2f}x")
    cams = rng.sample(cameras, 200)
    start = time.perf_counter()
    for cam in cams:
        policy.competent(cam, events_for(inv, cam)[0])
    el = time.perf_counter() - start
    per = len(inv.agencies) * len(cams) / el
    print(
        f"{'  grant time: competent(), every agency for one event (/s)':58} "
        f"{len(cams) / el:>12,.0f}/s"
        f"  ({per:,.0f} decisions/s in batch)"
    )


def bench_journal(tmp: Path, n: int) -> None:
    key = Signer.generate("vigie-journal-bench")
    witness_key = Signer.generate("dpo-bench", COSIGNATURE)
    witness = Witness(witness_key, key.verifier, tmp / "witness.json")
    entry = {
        "action": "segment_allowed",
        "decision": "allow",
        "actor": {"agency": "ggd78", "operator": "ggd78/op-0007"},
        "camera": "col-houdan/portail",
        "event": "ev-2026-11-27-000123",
        "window": [1_764_230_000, 1_764_231_200],
        "rule": "ACCESS-FORCE-COMPETENT",
        "reason": "token valid, segment inside the granted window",
    }
    journal = Journal(tmp / "journal", key, checkpoint_every=1000, checkpoint_interval_s=1.0)

    def appends(k: int) -> None:
        for i in range(k):
            journal.append(entry)
            if i % 100_000 == 99_999:  # the witness cosigns now and then
                old = witness.last()[0]
                note = journal.checkpoint()
                journal.add_cosignature(witness.cosign(note, journal.prove_consistency(old)))

    a_rate, a_cpu = rate(n, appends)
    journal.checkpoint()
    journal.close()
    show(
        f"journal appends, checkpoint every 1,000 (appends/s/core, {n:,})",
        a_rate,
        ">= 10,000",
        a_rate >= 10_000,
        cpu=a_cpu,
    )
    start, cpu = time.perf_counter(), time.process_time()
    report = verify(tmp / "journal", key.verifier, witness_key.verifier, entry=n // 2)
    el, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.ok, report.problems
    print(
        f"{f'verify {report.size:,} entries, {report.checkpoints:,} checkpoints (s)':58} "
        f"{el:>12.1f} s   goal <= 10 s    {'ok' if el <= 10 else 'MISSED'}  (CPU time: {cpu:.1f} s)"
    )


def bench_durable_journal(tmp: Path, n: int, waiters: int = 200) -> None:
    """Appends made durable as the access service makes them: `waiters` concurrent
    appenders on one event loop (the HTTP handler's pattern), each appending an entry
    and awaiting its fsync (`SharedJournal.wait`) before the next; one writer thread
    appends what is queued and fsyncs once per group."""
    key = Signer.generate("vigie-access")
    journal = SharedJournal(tmp / "durable-journal", key)
    groups = 0
    flush = journal._journal.flush  # counted, not changed: how many fsyncs the run made

    def counted(*, sync: bool = False) -> None:
        nonlocal groups
        groups += sync
        flush(sync=sync)

    journal._journal.flush = counted
    entry = {
        "action": "segment_allowed",
        "decision": "allow",
        "camera": "col-houdan/portail",
        "actor": {"agency": "ggd78", "operator": "ggd78/op-0007"},
        "rule": "ACCESS-FORCE-COMPETENT",
        "reason": "token valid, segment inside the granted window",
    }

    async def appender(k: int) -> None:
        for _ in range(k):
            with journal.collect() as tickets:
                journal.append(dict(entry))
            if not await journal.wait(tickets, 5.0):
                raise SystemExit("journal wait failed")

    async def run(k: int) -> None:
        await asyncio.gather(*(appender(k // waiters) for _ in range(waiters)))

    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    total = n // waiters * waiters
    a_rate, a_cpu = rate(total, lambda k: runner(run(k)))
    journal.close()
    show(
        f"journal appends, durable (fsync, group commit; {waiters} waiting)",
        a_rate,
        ">= 10,000",
        a_rate >= 10_000,
        cpu=a_cpu,
    )
    print(f"{'':58} {groups:>12,} fsync groups, {total / max(groups, 1):.1f} entries each; "
          f"journal in {tmp} on {filesystem(tmp)}")  # fmt: skip


def filesystem(path: Path) -> str:
    """The type of the filesystem holding `path` (the longest mount point above it)."""
    target, best = str(path.resolve()), ("", "?")
    for line in Path("/proc/mounts").read_text().splitlines():
        mnt, kind = line.split()[1:3]
        inside = target == mnt or target.startswith(mnt.rstrip("/") + "/")
        if inside and len(mnt) >= len(best[0]):
            best = (mnt, kind)
    return best[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller runs, no full differential")
    args = p.parse_args()
    quick = args.quick
    print(f"# bench-access ({'quick' if quick else 'full'}), one core\n")
    bench_tokens(20_000 if quick else 200_000)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        generate(tmp / "dept", cameras=4000, seed=1)
        inv = enrich(load_inventory(tmp / "dept", today=dt.date(2026, 6, 1)))
        print(
            f"\ngenerated département: {inv.camera_count():,} cameras, {len(inv.sites)} sites, "
            f"{len(inv.agencies)} agencies"
        )
        policy = AccessPolicy.from_inventory(inv)
        bench_decisions(inv, policy, 2_000 if quick else 20_000)
        if not quick:
            start = time.perf_counter()
            fresh = AccessPolicy.from_inventory(inv)
            result = compare(inv, fresh, all_cameras(inv))
            el = time.perf_counter() - start
            print(
                f"{'differential engine vs model, every camera x agency x class':58} "
                f"{result.decisions:>12,} decisions, {len(result.disagreements)} disagreement(s), "
                f"{result.allowed:,} allowed, {el:.0f} s"
            )
            if result.disagreements:
                print("\n".join(result.disagreements[:20]))
                return 1
        print()
        bench_journal(tmp, 100_000 if quick else 1_000_000)
        for waiting in (200, 1000):  # viewers whose decisions wait at once
            bench_durable_journal(tmp / f"w{waiting}", 20_000 if quick else 100_000, waiting)
    return 0


if __name__ == "__main__":
    sys.exit(main())
