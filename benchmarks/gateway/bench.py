"""Gateway benchmark (issue 10), on loopback with the real servers of tests/gateway:

1. nginx auth_request: every request of N concurrent viewers (N = 50, 200, 1000;
   each a keep-alive mTLS connection) asks vigie-access; decisions per second,
   per CPU-second of the service (= per core) and p50/p99 latency.
2. Event -> grant -> notification: 100 detector events published one by one;
   time from the detector's PUBLISH to the competent agency's notification.

Goals (issue 10): >= 2,000 decisions/s per core, p99 <= 10 ms; event to
notification <= 1 s. Load is bounded (a fixed number of requests per viewer).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/gateway"))
os.environ.setdefault("VIGIE_NGINX_ACCESS_LOG", "off")

import aiohttp  # noqa: E402
from gw_support import CAMERA, SITE, Gateway  # noqa: E402

from vigie import central  # noqa: E402

CONCURRENCY = (50, 200, 1000)
REQUESTS_PER_VIEWER = int(os.environ.get("BENCH_REQUESTS_PER_VIEWER", "20"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def viewers(gw: Gateway, n: int, url: str, token: str, op: str) -> list[float]:
    ctx = ssl.create_default_context(cafile=str(gw.pki.ca))
    ctx.load_cert_chain(*(str(p) for p in gw.pki.certs[op]))
    conn = aiohttp.TCPConnector(ssl=ctx, limit=n, force_close=False)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:

        async def one_viewer() -> None:
            for _ in range(REQUESTS_PER_VIEWER):
                t = time.perf_counter()
                async with s.head(url) as r:
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(one_viewer() for _ in range(n)))
    if set(statuses) != {200}:
        raise SystemExit(f"{n} viewers: answers {statuses} (all must be 200)")
    return latencies


def bench_auth(gw: Gateway) -> list[dict]:
    op = gw.op("dipn78")
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)
    doc = gw.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
    g = gw.wait_grant(op, doc["time"])
    s = gw.operator(op)
    token = s.post(f"{gw.url}/api/grants/{g['id']}/token").json()["token"]
    pl = s.get(f"{gw.url}/hls/{g['id']}/index.m3u8", headers={"Authorization": f"Bearer {token}"})
    seg = [x for x in pl.text.splitlines() if x.endswith(".ts")][-1]
    url = f"{gw.url}/hls/{g['id']}/{seg}"
    pid = gw.procs["service"].p.pid
    rows = []
    for n in CONCURRENCY:
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        lat = asyncio.run(viewers(gw, n, url, token, op))
        wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - c0
        lat.sort()
        rows.append(
            {
                "viewers": n,
                "decisions": len(lat),
                "per_s": len(lat) / wall,
                "per_core_s": len(lat) / cpu if cpu else float("nan"),
                "p50_ms": 1000 * statistics.median(lat),
                "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
            }
        )
    return rows


def bench_events(gw: Gateway, count: int = 100) -> list[float]:
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
    for i in range(count):
        when = (base + dt.timedelta(milliseconds=i)).isoformat(timespec="milliseconds")
        doc = {"site": SITE, "camera": CAMERA, "class": "intrusion", "kind": "person",
               "zone": None, "time": when, "score": 0.9, "snapshot": None}  # fmt: skip
        sent[when] = time.perf_counter()
        pub.publish(central.event_topic(SITE, CAMERA), json.dumps(doc), qos=1)
        time.sleep(0.05)  # one event at a time, as detectors raise them
    done.wait(30)
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()
    return sorted(got[k] - sent[k] for k in sent if k in got)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vigie-bench-gw-") as tmp:
        gw = Gateway(Path(tmp))
        gw.make_footage()
        try:
            gw.start()
            rows = bench_auth(gw)
            lat = bench_events(gw)
        finally:
            gw.stop()
    print("\nnginx auth_request -> vigie-access (1 nginx worker, 1 service process, loopback)")
    print(f"{'viewers':>8} {'decisions':>10} {'per s':>8} {'per core-s':>11} {'p50 ms':>7} "
          f"{'p99 ms':>7}  goal: >= 2,000/core-s, p99 <= 10 ms")  # fmt: skip
    for r in rows:
        print(f"{r['viewers']:>8} {r['decisions']:>10} {r['per_s']:>8.0f} {r['per_core_s']:>11.0f} "
              f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}  "
              f"ratio to goal {r['per_core_s'] / 2000:.2f}x, {10 / r['p99_ms']:.2f}x")  # fmt: skip
    p99 = 1000 * lat[int(0.99 * (len(lat) - 1))]
    print(f"\nevent -> grant -> notification over {len(lat)} events: "
          f"p50 {1000 * statistics.median(lat):.1f} ms, p99 {p99:.1f} ms, "
          f"max {1000 * lat[-1]:.1f} ms (goal <= 1,000 ms: ratio {1 / lat[-1]:.1f}x)")  # fmt: skip
    return 0 if len(lat) == 100 else 1


if __name__ == "__main__":
    sys.exit(main())
