"""Inventory benchmarks (`make bench-inventory`): figures and ratios measured side by side.

1. `vigie validate` on the synthetic département with 4,000 cameras.
2. `ansible-inventory --list` through the vigie plugin vs the very same hosts,
   groups and variables written as a static YAML inventory (same run, same
   machine), with the ratio.
3. Scaling: validate and the plugin at 4,000 / 10,000 / 20,000 / 40,000
   cameras, with the cost per 1,000 cameras (flat = linear).

Synthetic inventories are cached under benchmarks/.cache/ (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "benchmarks" / ".cache" / "inventory"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
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


def static_copy(source: Path) -> Path:
    """The plugin's exact hosts, groups and variables as a plain YAML inventory."""
    from vigie.ansible_view import build_view
    from vigie.loader import load_inventory

    # Rewritten every run: it must match what the plugin emits today.
    target = CACHE / f"{source.name}-static.yml"
    view = build_view(load_inventory(source))
    children = {g: {"hosts": dict.fromkeys(members)} for g, members in view.groups.items()}
    for group, variables in view.group_vars.items():
        children.setdefault(group, {})["vars"] = variables
    data = {"all": {"hosts": view.hosts, "children": children}}
    target.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    return target


def timed(cmd: list, runs: int = 1) -> tuple[float, subprocess.CompletedProcess]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, env=ENV, cwd=REPO, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{result.stderr[-3000:]}")
    return statistics.median(times), result


def in_process_validate(path: Path, runs: int = 3) -> float:
    from vigie.loader import check_inventory

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check_inventory(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hosts_of(result: subprocess.CompletedProcess) -> int:
    return len(json.loads(result.stdout)["_meta"]["hostvars"])


def main() -> None:
    console = Console(width=120)
    CACHE.mkdir(parents=True, exist_ok=True)
    base = synthetic(SCALES[0])
    static = static_copy(base)

    t_validate_cli, _ = timed([BIN / "vigie", "validate", base], runs=3)
    t_validate_lib = in_process_validate(base)
    floor = CACHE / "one-host.yml"
    floor.write_text("all:\n  hosts:\n    floor-host:\n", encoding="utf-8")
    t_empty, _ = timed([BIN / "ansible-inventory", "-i", floor, "--list"], runs=3)
    t_plugin, plugin_out = timed([BIN / "ansible-inventory", "-i", base, "--list"], runs=3)
    t_static, static_out = timed([BIN / "ansible-inventory", "-i", static, "--list"], runs=1)
    t_plugin_graph, _ = timed([BIN / "ansible-inventory", "-i", base, "--graph"], runs=3)
    t_static_graph, _ = timed([BIN / "ansible-inventory", "-i", static, "--graph"], runs=1)
    if hosts_of(plugin_out) != hosts_of(static_out):
        raise SystemExit(
            "plugin and static inventories differ in hosts: the comparison would be unfair"
        )

    table = Table(
        title=f"synthetic département, {SCALES[0]:,} cameras, {hosts_of(plugin_out):,} hosts"
    )
    table.add_column("measure")
    table.add_column("seconds", justify="right")
    table.add_row("vigie validate (command, incl. Python start)", f"{t_validate_cli:.2f}")
    table.add_row("vigie validate (load + all rules, in process)", f"{t_validate_lib:.2f}")
    table.add_row("ansible-inventory --list, one-host inventory (floor)", f"{t_empty:.2f}")
    table.add_row("ansible-inventory --list, vigie plugin", f"{t_plugin:.2f}")
    table.add_row("ansible-inventory --list, same hosts as static YAML", f"{t_static:.2f}")
    table.add_row("ratio static / plugin (--list)", f"{t_static / t_plugin:.1f}x")
    table.add_row("ansible-inventory --graph (load only), vigie plugin", f"{t_plugin_graph:.2f}")
    table.add_row("ansible-inventory --graph (load only), static YAML", f"{t_static_graph:.2f}")
    table.add_row("ratio static / plugin (--graph)", f"{t_static_graph / t_plugin_graph:.1f}x")
    table.add_row("--list output (MB)", f"{len(plugin_out.stdout) / 1e6:.1f}")
    console.print(table)

    scaling = Table(title="scaling (cost per 1,000 cameras stays flat when growth is linear)")
    for col in (
        "cameras",
        "hosts",
        "validate s",
        "validate s / 1k cams",
        "plugin --list s",
        "plugin s / 1k cams",
    ):
        scaling.add_column(col, justify="right")
    for n in SCALES:
        path = synthetic(n)
        t_val = in_process_validate(path, runs=1)
        t_inv, out = timed([BIN / "ansible-inventory", "-i", path, "--list"])
        scaling.add_row(
            f"{n:,}",
            f"{hosts_of(out):,}",
            f"{t_val:.2f}",
            f"{t_val / n * 1000:.3f}",
            f"{t_inv:.2f}",
            f"{(t_inv - t_empty) / n * 1000:.3f}",
        )
    console.print(scaling)
    console.print("plugin s / 1k cams excludes the one-host floor of ansible-inventory.")


if __name__ == "__main__":
    main()
