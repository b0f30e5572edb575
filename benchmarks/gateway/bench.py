"""Gateway benchmark, on loopback with the real servers of tests/gateway:

1. nginx auth_request: every request of a viewer (a keep-alive mutual-TLS
   connection; HEAD of a segment, so nginx asks vigie-access, then the recorder)
   is a decision, checked and journaled. Measured by a lean load generator
   (loadgen.py) in two ways, for 50, 200 and 1,000 viewers:
   - open loop: each viewer asks once a second on average (Poisson; an HLS player
     of 2 s segments asks its playlist and one segment every 2 s), latency from
     the time each request was due: the p99 the goal is about;
   - closed loop (saturation): each viewer asks again as soon as answered: the
     most decisions per second the gateway gives, and per core-second of the
     service (its CPU time from /proc), with the queueing that load makes.
   The service's own share of each decision (its handler: checks and journal
   queueing, from its `vigie_access_decision_seconds` histogram) is printed as
   the bucket holding its 99th percentile, so the rest of the end-to-end p99
   (TLS, nginx, the recorder, the host's scheduler) is told apart.
2. Event -> grant -> notification: 100 detector events published one by one;
   time from the detector's PUBLISH to the competent agency's notification.

Goals: >= 2,000 decisions/s per core, p99 <= 10 ms; event to
notification <= 1 s. With 2 CPUs or more the service is pinned to CPU 1 and
nginx and the load generator to CPU 0 (BENCH_PIN=0: no pinning), so each side's
cost is its own; other jobs on the machine still share both (the load average is
printed before and after). BENCH_NICE=-10 lowers the benchmark's niceness;
BENCH_RT=1 runs the open loop with the service, nginx and the generator in
SCHED_FIFO, ahead of those other jobs: what a dedicated gateway host would see
(say so when quoting either).

Two designs side by side in one run, on the same servers, footage and grant:
- durable (the service as deployed): an allowed view is answered once its journal
  entry is fsynced (group commit);
- previous: the same service started by a bench-only launcher
  (benchmarks/gateway/answer_at_once.py) whose journal `wait` returns at once: the
  answer no longer waits for the disk (the entry is still queued, written and
  fsynced by the same writer).
Each measurement is made for both, one after the other (the order alternates, so
neither always runs first; the service restarts when the design changes), and the
ratios durable / previous are printed. The journal sits on a disk filesystem
(BENCH_DIR, default /var/tmp; tmpfs refused), printed with the results. The event ->
notification part runs with the durable service only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run from the repository root as a module (python -m benchmarks.gateway.bench): the
# root on sys.path, its packages (benchmarks, tests, lab) are imported by package path.
os.environ.setdefault("VIGIE_NGINX_ACCESS_LOG", "off")

from benchmarks.gateway import loadgen
from benchmarks.gateway.procstat import cpu_seconds, family
from tests.gateway.services import CAMERA, SITE, Gateway
from vigie import central

VIEWERS = (50, 200, 1000)
RATE = float(os.environ.get("BENCH_RATE", "1"))  # requests/s per viewer, open loop
SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))  # open loop, per design
PER_VIEWER = int(os.environ.get("BENCH_REQUESTS_PER_VIEWER", "20"))  # closed loop
GOAL_PER_CORE, GOAL_P99_MS = 2000, 10.0
ARMS = ("durable", "previous")
ROOT = Path(__file__).resolve().parents[2]
NOT_DISK = {"tmpfs", "ramfs", "devtmpfs"}
CPUS = sorted(os.sched_getaffinity(0))


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pin(gw: Gateway) -> str:
    nice = int(os.environ.get("BENCH_NICE", "0"))
    pids = [gw.procs["service"].p.pid, os.getpid()]
    pids += [p for name in ("nginx", "recorder") for p in family(gw.procs[name].p.pid)]
    if nice:  # ahead of the machine's other jobs: what a dedicated gateway host would see
        for pid in pids:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
    text = f"nice {nice}; " if nice else ""
    if os.environ.get("BENCH_PIN", "1") == "0" or len(CPUS) < 2:
        return text + "not pinned: service, nginx and load generator share every CPU"
    cpus = CPUS  # as at the start: called again after each restart of the service
    service, rest = {cpus[1]}, {cpus[0]}
    os.sched_setaffinity(gw.procs["service"].p.pid, service)
    for name in ("nginx", "recorder"):
        for pid in family(gw.procs[name].p.pid):
            os.sched_setaffinity(pid, rest)
    os.sched_setaffinity(0, rest)
    return text + f"service on CPU {cpus[1]}; nginx and the load generator on CPU {cpus[0]}"


def decision_buckets(gw: Gateway) -> dict[float, float]:
    """vigie_access_decision_seconds' cumulative buckets, from the metrics endpoint."""
    import requests

    text = requests.get(f"http://127.0.0.1:{gw.metrics_port}/metrics", timeout=5).text
    out = {}
    for line in text.splitlines():
        if line.startswith("vigie_access_decision_seconds_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float(le)] = float(line.rsplit(" ", 1)[1])
    return out


def bucket_p99(before: dict[float, float], after: dict[float, float]) -> float:
    """Upper edge (ms) of the bucket holding the 99th percentile of the run."""
    delta = {le: after[le] - before.get(le, 0) for le in sorted(after)}
    total = delta[float("inf")]
    for le, n in delta.items():
        if total and n >= 0.99 * total:
            return 1000 * le
    return float("nan")


@contextlib.contextmanager
def realtime(gw: Gateway):
    """BENCH_RT=1: the open loop only (a quarter of a CPU at most) with the service,
    nginx and the generator in SCHED_FIFO, ahead of the machine's other jobs: what a
    dedicated gateway host would see. Off by default; say so when quoting it."""
    pids = [gw.procs["service"].p.pid, os.getpid()]
    pids += [p for name in ("nginx", "recorder") for p in family(gw.procs[name].p.pid)]
    on = os.environ.get("BENCH_RT") == "1"
    if on:
        policy(pids, os.SCHED_FIFO, 10)
    try:
        yield
    finally:
        if on:
            policy(pids, os.SCHED_OTHER, 0)


def policy(pids: list[int], which: int, priority: int) -> None:
    """Every thread of these processes (the journal's writer too); one that has
    exited meanwhile (nginx's cache loader, after a minute) is skipped."""
    for pid in pids:
        tids = []
        with contextlib.suppress(FileNotFoundError):
            tids = os.listdir(f"/proc/{pid}/task")
        for tid in tids:
            with contextlib.suppress(ProcessLookupError):
                os.sched_setscheduler(int(tid), which, os.sched_param(priority))


def quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def measure(gw: Gateway, run) -> dict:
    """Run the load; CPU time of the service, nginx and this generator over the
    measured part (connections and warm-up excluded)."""
    svc = gw.procs["service"].p.pid
    marks: dict[str, tuple[float, dict[int, float], float]] = {}
    buckets: dict[str, dict[float, float]] = {}

    def mark(when: str) -> None:
        ngx = {}
        for p in family(gw.procs["nginx"].p.pid):  # nginx's cache loader exits after 1 min
            with contextlib.suppress(FileNotFoundError):
                ngx[p] = cpu_seconds(p)
        marks[when] = (cpu_seconds(svc), ngx, self_cpu())
        buckets[when] = decision_buckets(gw)  # after the CPU counters: not counted

    res = run(mark)
    (c0, ngx0, g0), (c1, ngx1, g1) = marks["start"], marks["end"]
    n0 = sum(t for p, t in ngx0.items() if p in ngx1)
    n1 = sum(t for p, t in ngx1.items() if p in ngx0)
    if set(res.statuses) != {200}:
        raise SystemExit(f"answers {res.statuses} (all must be 200)")
    lat = sorted(res.latencies)
    return {
        "decisions": len(lat),
        "per_s": len(lat) / res.wall,
        "per_core_s": len(lat) / (c1 - c0) if c1 > c0 else float("nan"),
        "service_cpu": (c1 - c0) / res.wall,
        "nginx_cpu": (n1 - n0) / res.wall,
        "loadgen_cpu": (g1 - g0) / res.wall,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * quantile(lat, 0.99),
        "service_p99_ms": bucket_p99(buckets["start"], buckets["end"]),
        "lag_p99_ms": 1000 * quantile(sorted(res.lags), 0.99) if res.lags else None,
    }


def filesystem(path: Path) -> tuple[str, str, str]:
    """(device, mount point, type) of the filesystem holding `path`, from /proc/mounts."""
    target, best = str(path.resolve()), ("?", "", "?")
    for line in Path("/proc/mounts").read_text().splitlines():
        dev, mnt, kind = line.split()[:3]
        mnt = mnt.replace("\\040", " ")
        inside = target == mnt or target.startswith(mnt.rstrip("/") + "/")
        if inside and len(mnt) >= len(best[1]):
            best = (dev, mnt, kind)
    return best


class Arms:
    """The service in one design or the other: `use(arm)` restarts it with the other
    launcher when the design changes (same configuration, journal, database, nginx)."""

    def __init__(self, gw: Gateway):
        self.gw = gw
        svc = gw.procs["service"]
        run = svc.argv[3:]  # python -m vigie_access | run --config CONFIG
        assert svc.argv[1:3] == ["-m", "vigie_access"], svc.argv
        self.argv = {
            "durable": list(svc.argv),
            "previous": [sys.executable, "-m", "benchmarks.gateway.answer_at_once", *run],
        }
        path = [str(ROOT), *filter(None, [(svc.env or os.environ).get("PYTHONPATH")])]
        svc.env = {**(svc.env or os.environ), "PYTHONPATH": os.pathsep.join(path)}
        self.current, self.restarts, self.where = "durable", 0, None
        self.layout = pin(gw)

    def use(self, arm: str) -> None:
        if arm == self.current:
            return
        svc = self.gw.procs["service"]
        svc.stop()
        svc.argv = self.argv[arm]
        self.gw.start_service()
        self.current = arm
        self.restarts += 1
        self.layout = pin(self.gw)
        self.warm()

    def warm(self) -> None:
        """After a restart: nginx's pooled connections to the old process are gone and
        the new one's caches are cold; ask until every answer is 200 again."""
        for _ in range(100):
            if set(loadgen.closed_loop(16, *self.where, 5).statuses) == {200}:
                return
            time.sleep(0.1)
        raise SystemExit(f"the {self.current} service does not answer 200 after its restart")

    def each(self, k: int):
        """Both designs, the order alternating with k: neither always runs first."""
        for arm in ARMS if k % 2 == 0 else ARMS[::-1]:
            self.use(arm)
            yield arm


def bench_auth(gw: Gateway, arms: Arms) -> dict[str, dict[str, list[dict]]]:
    op = gw.op("dipn78")
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)
    doc = gw.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    g = gw.wait_grant(op, doc["time"])
    s = gw.operator(op)
    token = s.post(f"{gw.url}/api/grants/{g['id']}/token").json()["token"]
    pl = s.get(f"{gw.url}/hls/{g['id']}/index.m3u8", headers={"Authorization": f"Bearer {token}"})
    seg = [x for x in pl.text.splitlines() if x.endswith(".ts")][-1]
    path = f"/hls/{g['id']}/{seg}"
    ctx = loadgen.client_context(str(gw.pki.ca), *(str(p) for p in gw.pki.certs[op]))
    where = ("127.0.0.1", gw.https_port, ctx, path, token)
    arms.where = where
    rows: dict[str, dict[str, list[dict]]] = {
        phase: {arm: [] for arm in ARMS} for phase in ("open", "closed", "ab")
    }
    k = 0
    for n in VIEWERS:
        for arm in arms.each(k):
            with realtime(gw):
                r = measure(gw, lambda m, n=n: loadgen.open_loop(n, *where, RATE, SECONDS, m))
            rows["open"][arm].append({"viewers": n, **r})
        k += 1
    for n in VIEWERS:
        for arm in arms.each(k):
            r = measure(gw, lambda m, n=n: loadgen.closed_loop(n, *where, PER_VIEWER, m))
            rows["closed"][arm].append({"viewers": n, **r})
        k += 1
    for n in VIEWERS:
        for arm in arms.each(k):
            rows["ab"][arm].append(ab_closed_loop(gw, op, path, token, n))
        k += 1
    return rows


def ab_closed_loop(gw: Gateway, op: str, path: str, token: str, n: int) -> dict:
    """The same closed loop measured by a compiled tool: Apache's `ab` (keep-alive,
    HEAD, the operator's certificate with -E). Its percentiles include each
    connection's TLS handshake (one request in PER_VIEWER)."""
    ab = shutil.which("ab")
    if ab is None:
        raise SystemExit("ab is required (apache2-utils, scripts/apt-packages.txt)")
    cert, key = (Path(p) for p in gw.pki.certs[op])
    pem = gw.root / "ab-client.pem"
    pem.write_text(cert.read_text() + key.read_text())
    csv = gw.root / f"ab-{n}.csv"
    svc = gw.procs["service"].p.pid
    c0 = cpu_seconds(svc)
    out = subprocess.run(
        [ab, "-q", "-k", "-i", "-n", str(n * PER_VIEWER), "-c", str(n), "-s", "30",
         "-E", str(pem), "-H", f"Authorization: Bearer {token}", "-e", str(csv),
         f"{gw.url}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu = cpu_seconds(svc) - c0
    values = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    if values["Failed requests"].strip() != "0" or "Non-2xx" in out:
        raise SystemExit(f"ab, {n} viewers: failures\n{out}")
    pct = dict(line.split(",") for line in csv.read_text().splitlines()[1:])
    done = int(values["Complete requests"])
    return {
        "viewers": n,
        "decisions": done,
        "per_s": float(values["Requests per second"].split()[0]),
        "per_core_s": done / cpu if cpu else float("nan"),
        "p50_ms": float(pct["50"]),
        "p99_ms": float(pct["99"]),
    }


def event_cameras(gw: Gateway) -> list[str]:
    """The site's other cameras that detect intrusions."""
    site = gw.inv.sites[SITE]
    return [
        c.id
        for c in site.cameras
        if c.id != CAMERA and c.detection and "intrusion" in c.detection.classes
    ]


def bench_events(gw: Gateway) -> list[float]:
    """One intrusion event for each other camera of the site, from its detector: each
    opens its own grant (a repeating detector's events on one camera join its grant,
    and a publisher may send 10 events a minute: the service refuses more)."""
    cameras = event_cameras(gw)
    count = len(cameras)
    agency = "dipn78"
    got: dict[str, float] = {}
    done = threading.Event()
    sub = gw.mqtt_client(central.agency_identity(agency))

    def on_message(_c, _u, m) -> None:
        note = json.loads(m.payload)
        got[note["time"]] = time.perf_counter()
        if len(got) >= count:
            done.set()

    sub.on_message = on_message
    sub.subscribe(central.notification_topic(agency), qos=1)
    time.sleep(0.5)
    pub = gw.mqtt_client(f"{SITE}-det1")
    sent: dict[str, float] = {}
    base = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    for i, camera in enumerate(cameras):
        when = (base + dt.timedelta(milliseconds=i)).isoformat(timespec="milliseconds")
        doc = {"site": SITE, "camera": camera, "class": "intrusion", "kind": "person",
               "zone": None, "time": when, "score": 0.9, "snapshot": None}  # fmt: skip
        sent[when] = time.perf_counter()
        pub.publish(central.event_topic(SITE, camera), json.dumps(doc), qos=1)
        time.sleep(0.05)  # one event at a time, as detectors raise them
    done.wait(30)
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()
    missed = [camera for camera, k in zip(cameras, sent, strict=True) if k not in got]
    if missed:
        print(f"no notification for the events of {', '.join(missed)}")
    return sorted(got[k] - sent[k] for k in sent if k in got)


def table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'viewers':>8} {'decisions':>9} {'per s':>7} {'per core-s':>10} {'p50 ms':>7} "
          f"{'p99 ms':>8}  {'vs 2,000/core-s':>15} {'vs p99 10 ms':>12}  "
          f"CPU used: service nginx loadgen  service's own p99")  # fmt: skip
    for r in rows:
        print(f"{r['viewers']:>8} {r['decisions']:>9} {r['per_s']:>7.0f} {r['per_core_s']:>10.0f} "
              f"{r['p50_ms']:>7.2f} {r['p99_ms']:>8.2f}  {r['per_core_s'] / GOAL_PER_CORE:>14.2f}x "
              f"{GOAL_P99_MS / r['p99_ms']:>11.2f}x  {r['service_cpu']:>7.0%} "
              f"{r['nginx_cpu']:>5.0%} {r['loadgen_cpu']:>7.0%}  "
              f"<= {r['service_p99_ms']:g} ms{late(r)}")  # fmt: skip


def late(r: dict) -> str:
    """Open loop: how late the generator itself sent (it waits on the same host)."""
    return f"; generator late p99 {r['lag_p99_ms']:.1f} ms" if r["lag_p99_ms"] is not None else ""


def load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ab_table(rows: list[dict]) -> None:
    for r in rows:
        print(f"{r['viewers']:>8} {r['decisions']:>9} {r['per_s']:>7.0f} {r['per_core_s']:>10.0f} "
              f"{r['p50_ms']:>7.2f} {r['p99_ms']:>8.2f}")  # fmt: skip


def ratios(title: str, durable: list[dict], previous: list[dict]) -> None:
    """durable / previous for each viewer count: above 1 is more decisions per
    core-second, or a longer latency, with the durable journal."""
    print(f"\n{title}")
    heads = ("per core-s", 34), ("p50 ms", 31), ("p99 ms", 31)
    print(f"{'viewers':>8} " + " ".join(f"{h + ': durable previous ratio':>{w}}" for h, w in heads))
    for d, b in zip(durable, previous, strict=True):
        cells = [
            f"{d[k]:>9.{f}f} {b[k]:>8.{f}f} {d[k] / b[k]:>6.2f}x"
            for k, f in (("per_core_s", 0), ("p50_ms", 2), ("p99_ms", 2))
        ]
        print(f"{d['viewers']:>8} {cells[0]:>34} {cells[1]:>31} {cells[2]:>31}")


def main() -> int:
    base = Path(os.environ.get("BENCH_DIR", "/var/tmp"))
    dev, mnt, kind = filesystem(base)
    if kind in NOT_DISK:
        raise SystemExit(f"{base} is on {kind}: the journal must be on a disk (set BENCH_DIR)")
    before, t0 = load(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vigie-bench-gw-", dir=base) as tmp:
        gw = Gateway(Path(tmp))
        gw.make_footage()
        try:
            gw.start()
            arms = Arms(gw)
            journal = gw.service_dir / "journal"
            rows = bench_auth(gw, arms)
            arms.use("durable")
            lat = bench_events(gw)
            events = len(event_cameras(gw))
        finally:
            gw.stop()
    print(f"\nnginx auth_request -> vigie-access (1 nginx worker, 1 service process, loopback; "
          f"{arms.layout})")  # fmt: skip
    print(f"machine: {os.cpu_count()} CPUs; {before} before, {load()} after; "
          f"{time.monotonic() - t0:.0f} s in all ({arms.restarts} service restarts)")  # fmt: skip
    print(f"journal (both designs): {journal} on {dev} ({kind}, mounted on {mnt})")
    print("durable: answered once the entry is fsynced (the service as deployed); previous: "
          "answered at once, entry queued (benchmarks/gateway/answer_at_once.py)")  # fmt: skip
    rt = " (SCHED_FIFO: as on a dedicated host)" if os.environ.get("BENCH_RT") == "1" else ""
    opened = (f"open loop{rt}: each viewer asks {RATE:g}/s (Poisson) for {SECONDS:g} s; "
              "latency from the time each request was due")  # fmt: skip
    closed = f"closed loop (saturation): each viewer asks again at once, {PER_VIEWER} times"
    for arm in ARMS:
        table(f"[{arm}] {opened}", rows["open"][arm])
    for arm in ARMS:
        table(f"[{arm}] {closed}", rows["closed"][arm])
    for arm in ARMS:
        print(f"\n[{arm}] the same closed loop measured by ab (Apache's, compiled; "
              "handshakes included)")  # fmt: skip
        ab_table(rows["ab"][arm])
    for phase, what in (("open", opened), ("closed", closed), ("ab", "the closed loop by ab")):
        ratios(f"durable / previous, {what}", rows[phase]["durable"], rows[phase]["previous"])
    p99 = 1000 * quantile(lat, 0.99)
    print(f"\n[durable] event -> grant -> notification, {len(lat)} of {events} events: "
          f"p50 {1000 * statistics.median(lat):.1f} ms, p99 {p99:.1f} ms, "
          f"max {1000 * lat[-1]:.1f} ms (goal <= 1,000 ms: ratio {1 / lat[-1]:.1f}x)")  # fmt: skip
    return 0 if len(lat) == events else 1


if __name__ == "__main__":
    sys.exit(main())
