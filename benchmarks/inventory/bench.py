"""Inventory benchmarks (`make bench-inventory`): figures and ratios measured side by side.

1. `vigie validate` on the synthetic département with 4,000 cameras.
2. `ansible-inventory --list` and `--graph` through the vigie plugin vs the
   very same hosts, groups and variables written as a static YAML inventory
   (same run, same machine; the two `--list` outputs must be identical), and
   vs the Ansible floor: the same view, already built, replayed through the
   plugin's own code (`replay/vigie_replay.py`). static / floor is the best
   ratio any inventory source delivering these variables could reach.
3. CPU seconds per phase of one `--list` of each (`phases.py`).
4. Scaling: validate and the plugin at 4,000 / 10,000 / 20,000 / 40,000
   cameras, with the cost per 1,000 cameras (flat = linear).
5. `ansible-playbook playbooks/site.yml --limit ONE_SITE` up to its first
   task, plugin vs static YAML, side by side (`first_task.py`).

Wall and CPU time (user + system of the child) are both printed: on a shared
machine CPU time is the steadier figure. Synthetic inventories are cached
under benchmarks/.cache/ (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "benchmarks" / ".cache" / "inventory"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
HERE = Path(__file__).resolve().parent
REPLAY_ENV = {
    **ENV,
    "ANSIBLE_INVENTORY_PLUGINS": f"{REPO / 'plugins' / 'inventory'}:{HERE / 'replay'}",
    "ANSIBLE_INVENTORY_ENABLED": "vigie_replay",
}
SCALES = (4_000, 10_000, 20_000, 40_000)
SEED = 1


def synthetic(cameras: int) -> Path:
    # Keyed by the generator's source: a changed generator never reuses a stale cache.
    version = hashlib.sha256((REPO / "src" / "vigie" / "generate.py").read_bytes()).hexdigest()[:8]
    target = CACHE / f"synthetic-{cameras}-{version}"
    if not (target / "netplan.lock.yml").exists():
        subprocess.run(
            [BIN / "vigie", "generate", target, "--cameras", str(cameras), "--seed", str(SEED)],
            check=True,
            capture_output=True,
        )
        subprocess.run([BIN / "vigie", "lock", target], check=True, capture_output=True)
    return target


def static_and_replay(source: Path) -> tuple[Path, Path]:
    """The plugin's exact hosts, groups and variables as a plain YAML inventory, and as a
    pickled view for the replay floor (both rewritten every run: they must match today's
    plugin)."""
    from vigie.ansible_view import build_view
    from vigie.loader import load_inventory

    view = build_view(load_inventory(source))
    static = CACHE / f"{source.name}-static.yml"
    children = {g: {"hosts": dict.fromkeys(members)} for g, members in view.groups.items()}
    for group, variables in view.group_vars.items():
        children.setdefault(group, {})["vars"] = variables
    data = {"all": {"hosts": view.hosts, "children": children}}
    static.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")

    replay = CACHE / f"{source.name}-replay"
    replay.mkdir(exist_ok=True)
    (replay / "view.pickle").write_bytes(pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL))
    (replay / "vigie_replay.yml").write_text(
        f"plugin: vigie_replay\nview: {replay / 'view.pickle'}\n", encoding="utf-8"
    )
    return static, replay / "vigie_replay.yml"


@dataclass
class Run:
    wall: float
    cpu: float
    result: subprocess.CompletedProcess


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list, runs: int = 1, env: dict | None = None) -> Run:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        cpu, start = children_cpu(), time.perf_counter()
        result = subprocess.run(cmd, env=env or ENV, cwd=REPO, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{result.stderr[-3000:]}")
    return Run(statistics.median(walls), statistics.median(cpus), result)


def in_process_validate(path: Path, runs: int = 3) -> float:
    from vigie.loader import check_inventory

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check_inventory(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def phases(source: Path, env: dict) -> dict[str, float]:
    run = timed([sys.executable, HERE / "phases.py", source], env=env)
    return json.loads(run.result.stdout.strip().splitlines()[-1])


def inventory_runs(console: Console, base: Path, static: Path, replay: Path) -> Run:
    """`--list` and `--graph` of the three sources; returns the one-host inventory's run."""
    inv = BIN / "ansible-inventory"
    floor = CACHE / "one-host.yml"
    floor.write_text("all:\n  hosts:\n    floor-host:\n", encoding="utf-8")
    empty = timed([inv, "-i", floor, "--list"], runs=3)
    sources = {
        "vigie plugin": (base, ENV, 3),
        "static YAML, same hosts and variables": (static, ENV, 1),
        "Ansible floor: the built view replayed": (replay, REPLAY_ENV, 3),
    }
    lists, graphs = {}, {}
    for name, (source, env, runs) in sources.items():
        lists[name] = timed([inv, "-i", source, "--list"], runs=runs, env=env)
        graphs[name] = timed([inv, "-i", source, "--graph"], runs=runs, env=env)
    outputs = {name: json.loads(run.result.stdout) for name, run in lists.items()}
    plugin_out = outputs.pop("vigie plugin")
    for name, out in outputs.items():
        if out != plugin_out:
            raise SystemExit(f"--list of the plugin and of {name} differ: the comparison is unfair")
    hosts = len(plugin_out["_meta"]["hostvars"])

    table = Table(
        title=f"ansible-inventory, {SCALES[0]:,} cameras, {hosts:,} hosts "
        f"(--list outputs identical, {len(lists['vigie plugin'].result.stdout) / 1e6:.1f} MB)"
    )
    for col in ("source", "--list wall s", "--list CPU s", "--graph wall s", "--graph CPU s"):
        table.add_column(col, justify="right" if col != "source" else "left")
    table.add_row("one-host inventory", f"{empty.wall:.2f}", f"{empty.cpu:.2f}", "", "")
    for name in sources:
        lst, grf = lists[name], graphs[name]
        table.add_row(
            name, f"{lst.wall:.2f}", f"{lst.cpu:.2f}", f"{grf.wall:.2f}", f"{grf.cpu:.2f}"
        )
    plugin, static_, floor_ = (lists[n] for n in sources)
    g_plugin, g_static, g_floor = (graphs[n] for n in sources)
    table.add_row(
        "ratio static / plugin",
        f"{static_.wall / plugin.wall:.1f}x",
        f"{static_.cpu / plugin.cpu:.1f}x",
        f"{g_static.wall / g_plugin.wall:.1f}x",
        f"{g_static.cpu / g_plugin.cpu:.1f}x",
    )
    table.add_row(
        "ceiling static / floor",
        f"{static_.wall / floor_.wall:.1f}x",
        f"{static_.cpu / floor_.cpu:.1f}x",
        f"{g_static.wall / g_floor.wall:.1f}x",
        f"{g_static.cpu / g_floor.cpu:.1f}x",
    )
    console.print(table)

    table = Table(title="CPU seconds per phase of one --list (phases.py)")
    cols = ("start", "vigie", "ingest", "get_vars", "dump", "total")
    table.add_column("source")
    for col in cols:
        table.add_column(col, justify="right")
    for name, (source, env, _runs) in sources.items():
        figures = phases(source, env)
        table.add_row(name, *(f"{figures[c]:.2f}" for c in cols))
    console.print(table)
    console.print(
        "vigie: load + rules + view; ingest: the rest of parsing (YAML for the static file; "
        "add_host and set_variable, which copies and tags every value, for the plugins); "
        "get_vars and dump are the same work for all three sources."
    )
    return empty


def main() -> None:
    console = Console(width=130)
    CACHE.mkdir(parents=True, exist_ok=True)
    console.print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    base = synthetic(SCALES[0])
    static, replay = static_and_replay(base)

    validate = timed([BIN / "vigie", "validate", base], runs=3)
    table = Table(title=f"vigie validate, {SCALES[0]:,} cameras")
    table.add_column("measure")
    table.add_column("seconds", justify="right")
    table.add_row("vigie validate (command, incl. Python start), wall", f"{validate.wall:.2f}")
    in_process = in_process_validate(base)
    table.add_row("vigie validate (load + all rules, in process)", f"{in_process:.2f}")
    console.print(table)
    empty = inventory_runs(console, base, static, replay)
    from first_task import measure as first_task

    first_task(console, base, static)

    scaling = Table(title="scaling (cost per 1,000 cameras stays flat when growth is linear)")
    for col in (
        "cameras",
        "hosts",
        "validate s",
        "validate s / 1k cams",
        "plugin --list wall s",
        "plugin --list CPU s",
        "plugin CPU s / 1k cams",
    ):
        scaling.add_column(col, justify="right")
    for n in SCALES:
        path = synthetic(n)
        t_val = in_process_validate(path, runs=1)
        run = timed([BIN / "ansible-inventory", "-i", path, "--list"])
        scaling.add_row(
            f"{n:,}",
            f"{len(json.loads(run.result.stdout)['_meta']['hostvars']):,}",
            f"{t_val:.2f}",
            f"{t_val / n * 1000:.3f}",
            f"{run.wall:.2f}",
            f"{run.cpu:.2f}",
            f"{(run.cpu - empty.cpu) / n * 1000:.3f}",
        )
    console.print(scaling)
    console.print("plugin CPU s / 1k cams excludes the one-host inventory's CPU time.")
    console.print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
