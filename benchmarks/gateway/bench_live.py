"""Live view benchmark, on loopback with the real servers of tests/gateway: N
players (1, 10, 50) watch one camera live through nginx (mutual TLS, auth_request
on the playlist and every segment) and vigie-access; the recorder's live buffer is
ffmpeg's HLS muxer cutting real footage into 1 s segments.

Each player does what hls.js does on a live playlist of 1 s segments: it reloads
the playlist every second and fetches each new segment once, on its own
keep-alive mutual-TLS connection. Printed, side by side for each N:
- the gateway's CPU (nginx's master and workers, and vigie-access, from /proc) per
  viewer-minute, and its ratio to one viewer's;
- what reached the recorder (its access log): GETs per live segment (nginx's cache
  and its lock: one whatever N) and playlist GETs per second (not cached: N), and
  the CPU its segment server spent (the cost of not caching the playlist).

BENCH_LIVE_SECONDS (default 30) sets each run's length; BENCH_LIVE_VIEWERS
("1,10,50") the viewer counts.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run from the repository root as a module (python -m benchmarks.gateway.bench_live): the
# root on sys.path, its packages (benchmarks, tests, lab) are imported by package path.
from benchmarks.gateway.procstat import cpu_seconds, family
from tests.gateway.services import CAMERA, SITE, Gateway
from vigie.desired import LIVE_PATH

SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "30"))
VIEWERS = tuple(int(n) for n in os.environ.get("BENCH_LIVE_VIEWERS", "1,10,50").split(","))
SOURCE = f"{SITE}-{CAMERA}"


def load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def gateway_cpu(gw: Gateway) -> dict[str, float]:
    return {
        "nginx": sum(cpu_seconds(p) for p in family(gw.procs["nginx"].p.pid)),
        "service": cpu_seconds(gw.procs["service"].p.pid),
        "recorder": sum(cpu_seconds(p) for p in family(gw.procs["recorder"].p.pid)),
    }


def recorder_live_lines(gw: Gateway) -> list[str]:
    text = (gw.root / "recorder/access.log").read_text()
    return re.findall(rf'"GET ({LIVE_PATH}/{SOURCE}/\S+) HTTP', text)


def player(gw, cn, gid, tok, stop: threading.Event, out: dict) -> None:
    s = gw.operator(cn)
    s.headers["Authorization"] = f"Bearer {tok}"
    seen: set[str] = set()
    tick = time.monotonic()
    while not stop.is_set():
        pl = s.get(f"{gw.url}/live/{gid}/live.m3u8", timeout=10)
        out["requests"] += 1
        if pl.status_code != 200:
            out["errors"] += 1
        else:
            names = [x for x in pl.text.splitlines() if x and not x.startswith("#")]
            for name in names[-2:] if not seen else names:
                if name in seen:
                    continue
                r = s.get(f"{gw.url}/live/{gid}/{name}", timeout=10)
                out["requests"] += 1
                out["errors"] += r.status_code != 200
                out["bytes"] += len(r.content)
                seen.add(name)
        tick += 1.0
        stop.wait(max(0.0, tick - time.monotonic()))


def run(gw: Gateway, viewers: int, grant: dict, tokens: dict[str, str]) -> dict:
    ops = list(tokens)
    stop = threading.Event()
    outs = [{"requests": 0, "errors": 0, "bytes": 0} for _ in range(viewers)]
    lines_before = len(recorder_live_lines(gw))
    cpu0, t0 = gateway_cpu(gw), time.monotonic()
    threads = [
        threading.Thread(
            target=player,
            args=(gw, ops[i % len(ops)], grant["id"], tokens[ops[i % len(ops)]], stop, outs[i]),
        )
        for i in range(viewers)
    ]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    cpu1 = gateway_cpu(gw)
    lines = recorder_live_lines(gw)[lines_before:]
    segs = [x for x in lines if x.endswith(".ts")]
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    minutes = viewers * elapsed / 60
    return {
        "viewers": viewers,
        "requests": sum(o["requests"] for o in outs),
        "errors": sum(o["errors"] for o in outs),
        "mbytes": sum(o["bytes"] for o in outs) / 1e6,
        "nginx_s": cpu["nginx"],
        "service_s": cpu["service"],
        "per_viewer_min": (cpu["nginx"] + cpu["service"]) / minutes,
        "recorder_s": cpu["recorder"],
        "segments": len(set(segs)),
        "gets_per_segment": len(segs) / max(1, len(set(segs))),
        "playlists_per_s": (len(lines) - len(segs)) / elapsed,
    }


def main() -> int:
    before = load()
    with tempfile.TemporaryDirectory(prefix="vigie-bench-live-") as tmp:
        gw = Gateway(Path(tmp))
        gw.make_footage()
        live = None
        try:
            gw.start()
            live = gw.start_live()
            time.sleep(3)
            # Long enough for every run: the event a minute ago, live for 15 minutes.
            when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            doc = gw.publish_event(f"{SITE}-det1", SITE, CAMERA, "intrusion", when)
            grant = gw.wait_grant(gw.op("dipn78"), doc["time"])
            tokens = {}
            for cn in gw.people["dipn78"]:
                r = gw.operator(cn).post(f"{gw.url}/api/grants/{grant['id']}/token", timeout=5)
                r.raise_for_status()
                tokens[cn] = r.json()["token"]
            rows = [run(gw, n, grant, tokens) for n in VIEWERS]
        finally:
            if live is not None:
                live.terminate()
                live.wait(10)
            gw.stop()
    after = load()
    base = rows[0]["per_viewer_min"]
    print(f"live view, {SECONDS:.0f} s per run, 1 s segments; {before} -> {after}")
    print(
        "| viewers | requests (errors) | MB served | nginx CPU s | service CPU s "
        "| gateway CPU s per viewer-minute | vs 1 viewer | upstream GETs per segment "
        "| upstream playlists/s | recorder's nginx CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['viewers']} | {r['requests']} ({r['errors']}) | {r['mbytes']:.1f} "
            f"| {r['nginx_s']:.2f} | {r['service_s']:.2f} | {r['per_viewer_min']:.3f} "
            f"| {r['per_viewer_min'] / base:.2f}x | {r['gets_per_segment']:.2f} "
            f"({r['segments']} segments) | {r['playlists_per_s']:.1f} | {r['recorder_s']:.2f} |"
        )
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
