"""Cost of `vigie validate` per MB of input (`make bench-optin`).

Goal: at most 1 s of CPU and 200 MB of peak memory per MB of input, for any
file under the size cap, dense flow-style lists included. Each shape below is
written at several sizes next to the small test inventory and validated by a
fresh `vigie validate` process; CPU (user + system) and peak RSS of that child
(os.wait4, from a small wrapper process) are measured, and the per-MB figures
are printed side by side with the goal and with plain `yaml.load` (libyaml) on
the same file, the floor of any PyYAML-based reader. A flat cost per MB across
sizes = linear.

Shapes (what a hostile or simply large pull request may contain):
- sites:   many valid sites in flow style, each with cameras (every rule runs);
- numbers: one flow list of numbers under an unknown key (parser, schema error);
- cameras: one site with a huge flow list of cameras (allocation, per-site rules);
- masks:   one camera with a huge list of privacy-mask polygons (pydantic);
- purposes: one camera with a huge flow list of purposes (one error per item).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "tests" / "inventory" / "data" / "base"
VIGIE = [sys.executable, "-m", "vigie.cli", "validate"]
SIZES_MB = (0.5, 1, 2, 3.5)  # up to the per-file cap (4 MB)
GOAL_S_PER_MB, GOAL_RSS_PER_MB = 1.0, 200.0
MB = 1024 * 1024


def sites(size: int) -> str:
    out, n = ["sites: ["], 0
    while sum(map(len, out)) < size:
        cams = ", ".join(f"{{id: c{k}, area: hall}}" for k in range(40))
        out.append(
            f"{{id: s{n}, name: S, kind: departmental_building, insee: '78646', "
            f"authorisation: AP-TEST, uplink: pop-a, recorded_at: dc, cameras: [{cams}]}},\n"
        )
        n += 1
    return "".join(out) + "]\n"


def numbers(size: int) -> str:
    return "extra: [" + ", ".join(str(i % 1000) for i in range(size // 5)) + "]\n"


def masks(size: int) -> str:
    polygon = "[[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]"
    count = size // (len(polygon) + 2)
    return (
        "sites:\n  - {id: case, name: C, kind: departmental_building, insee: '78646',"
        " authorisation: AP-TEST, uplink: pop-a, recorded_at: dc, cameras: [{id: cam,"
        " area: hall, sees_homes: true, privacy_masks: [" + ", ".join([polygon] * count) + "]}]}\n"
    )


def cameras(size: int) -> str:
    count = size // 28
    cams = ", ".join(f"{{id: c{k}, area: hall}}" for k in range(count))
    return (
        "sites:\n  - {id: case, name: C, kind: departmental_building, insee: '78646',"
        " authorisation: AP-TEST, uplink: pop-a, recorded_at: dc, cameras: [" + cams + "]}\n"
    )


def purposes(size: int) -> str:
    count = size // 9
    return (
        "sites:\n  - {id: case, name: C, kind: departmental_building, insee: '78646',"
        " authorisation: AP-TEST, uplink: pop-a, recorded_at: dc, cameras: [{id: cam,"
        " area: hall, purposes: [" + ", ".join(["purpose"] * count) + "]}]}\n"
    )


SHAPES = {
    "sites": sites,
    "cameras": cameras,
    "numbers": numbers,
    "masks": masks,
    "purposes": purposes,
}


# Runs one command and prints its child's CPU and peak RSS. A small process of its own:
# on Linux a child's peak RSS starts from its parent's at fork (kept across exec), so
# measuring straight from this process, grown by the generated text, would inflate it.
WRAPPER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "err = child.stderr.read().decode(errors='replace')\n"
    "_, status, use = os.wait4(child.pid, 0)\n"
    "print(use.ru_utime + use.ru_stime, use.ru_maxrss, os.waitstatus_to_exitcode(status))\n"
    "print(err[-2000:] if 'Traceback' in err else '')\n"
)


def measure(root: Path) -> tuple[float, float, int]:
    """(CPU s, peak RSS MB, exit code) of one `vigie validate` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *VIGIE, str(root)], capture_output=True, text=True
    )
    first, _, rest = done.stdout.partition("\n")
    if rest.strip():
        raise SystemExit(f"traceback:\n{rest}")
    cpu, rss_kb, code = first.split()
    return float(cpu), int(rss_kb) / 1024, int(code)


FLOOR = (
    "import sys, time, yaml; text = open(sys.argv[1]).read(); start = time.process_time(); "
    "yaml.load(text, Loader=yaml.CSafeLoader); print(time.process_time() - start)"
)


def floor_cpu(path: Path) -> float:
    """CPU s of plain `yaml.load` (libyaml, no line tracking, no checks) on the same file:
    the cost of any PyYAML-based reader, the floor validate is compared with. In a child
    of its own: a parent grown by it would pass its peak RSS on to the next children."""
    done = subprocess.run([sys.executable, "-c", FLOOR, str(path)], capture_output=True, text=True)
    return float(done.stdout)


def main() -> int:
    # Baseline: the process and the base inventory alone, subtracted from every figure.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inv"
        shutil.copytree(BASE, root)
        base_cpu, base_rss, _ = measure(root)
    print(f"baseline (empty change): CPU {base_cpu:.2f} s, peak RSS {base_rss:.0f} MB")
    print(f"goal: <= {GOAL_S_PER_MB} s and <= {GOAL_RSS_PER_MB:.0f} MB per MB of input")
    header = (
        f"{'shape':9} {'MB':>5} {'exit':>4} {'CPU s':>7} {'s/MB':>6} {'RSS MB':>7} {'MB/MB':>6}"
        f" {'yaml.load s/MB':>14} {'vigie/yaml':>10}"
    )
    print(header)
    worst_s, worst_rss = 0.0, 0.0
    for name, make in SHAPES.items():
        for size_mb in SIZES_MB:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "inv"
                shutil.copytree(BASE, root)
                text = make(int(size_mb * MB))
                (root / "big.yml").write_text(text, encoding="utf-8")
                real_mb = len(text.encode()) / MB
                cpu, rss, code = measure(root)
                floor = floor_cpu(root / "big.yml") / real_mb
            s_per_mb = max(cpu - base_cpu, 0) / real_mb
            rss_per_mb = max(rss - base_rss, 0) / real_mb
            worst_s, worst_rss = max(worst_s, s_per_mb), max(worst_rss, rss_per_mb)
            print(
                f"{name:9} {real_mb:5.2f} {code:4d} {cpu:7.2f} {s_per_mb:6.2f} "
                f"{rss:7.0f} {rss_per_mb:6.0f} {floor:14.2f} {s_per_mb / floor:10.1f}"
            )
    ok = worst_s <= GOAL_S_PER_MB and worst_rss <= GOAL_RSS_PER_MB
    print(
        f"worst: {worst_s:.2f} s/MB ({worst_s / GOAL_S_PER_MB:.0%} of the goal), "
        f"{worst_rss:.0f} MB/MB ({worst_rss / GOAL_RSS_PER_MB:.0%} of the goal): "
        f"{'within' if ok else 'OVER'} the goal"
    )
    return 0  # a figure, not a test: `make bench` goes on to the other benchmarks


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
