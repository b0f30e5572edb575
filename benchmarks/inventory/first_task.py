"""`ansible-playbook playbooks/site.yml --limit ONE_SITE` up to its first task, side by side.

The generated 4,000-camera département through the vigie plugin, and the very
same hosts, groups and variables as a static YAML inventory: CPU seconds
(user + system of the child) and wall seconds until the first task starts
(callback `callback/first_task.py` stops the run there), and the ratio.
Goal: at most 2 s of CPU through the plugin and at least 10x faster
than static YAML. Run alone: `python benchmarks/inventory/first_task.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import BIN, ENV, REPO, SCALES, static_and_replay, synthetic, timed  # noqa: E402

RUNS = 3


def first_task(source: Path, limit: str, **extra_env: str) -> tuple[float, float, str]:
    env = {
        **ENV,
        **extra_env,
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback"),
        "ANSIBLE_CALLBACKS_ENABLED": "first_task",
        "ANSIBLE_STDOUT_CALLBACK": "default",
    }
    cmd = [BIN / "ansible-playbook", "-i", source, "playbooks/site.yml", "--limit", limit]
    run = timed(cmd, runs=RUNS, env=env)
    line = next(x for x in run.result.stdout.splitlines() if x.startswith("first task: "))
    return run.wall, run.cpu, line.removeprefix("first task: ")


def one_site(source: Path) -> str:
    from vigie.loader import load_inventory
    from vigie.names import site_group

    inv = load_inventory(source)
    site = max(inv.sites.values(), key=lambda s: (len(s.cameras), s.id))
    return site_group(site.id)


def measure(console: Console, base: Path, static: Path) -> None:
    limit = one_site(base)
    cold = first_task(base, limit, VIGIE_NO_CACHE="1")
    first_task(base, limit)  # fills the view cache (vigie.viewcache)
    warm = first_task(base, limit)
    static_run = first_task(static, limit)
    assert cold[2] == warm[2] == static_run[2], (cold[2], warm[2], static_run[2])
    table = Table(
        title=f"ansible-playbook playbooks/site.yml --limit {limit} up to its first task "
        f"({cold[2]!r}), {SCALES[0]:,} cameras, median of {RUNS}"
    )
    for col in ("inventory", "wall s", "CPU s", "CPU ratio static / this"):
        table.add_column(col, justify="right" if col != "inventory" else "left")
    rows = {
        "vigie plugin, view cache warm (data unchanged since the last run)": warm,
        "vigie plugin, cold (VIGIE_NO_CACHE=1: load, check, build)": cold,
        "static YAML, same hosts and variables": static_run,
    }
    for name, (wall, cpu, _task) in rows.items():
        table.add_row(name, f"{wall:.2f}", f"{cpu:.2f}", f"{static_run[1] / cpu:.1f}x")
    console.print(table)
    for name, run in (("warm", warm), ("cold", cold)):
        met = run[1] <= 2.0 and static_run[1] / run[1] >= 10
        console.print(
            f"goal (plugin <= 2 s CPU and >= 10x static), {name}: {'met' if met else 'NOT met'}"
        )


def main() -> None:
    console = Console(width=130)
    console.print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    base = synthetic(SCALES[0])
    static, _replay = static_and_replay(base)
    measure(console, base, static)


if __name__ == "__main__":
    os.chdir(REPO)
    main()
