"""`make bench-pulumi`: how the stack scales with the département (figures, not tests).

Side by side in one run: the pilot and synthetic départements of growing size;
for each, sharding alone (vigie.fleet) and the whole program under Pulumi's
mocks (resources declared, seconds, milliseconds per resource).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from pulumi_stack_harness import run_stack, with_central  # noqa: E402
from vigie_stack.config import REPO_ROOT  # noqa: E402
from vigie_stack.detector_config import credential_name  # noqa: E402

from vigie.fleet import plan_fleet  # noqa: E402
from vigie.loader import load_inventory  # noqa: E402

CAMERAS_PER_CORE, CORES = 4, 4  # CORES: the model's default per detector host


def measure(label: str, inventory_dir: Path) -> dict:
    inv = load_inventory(inventory_dir)
    t0 = time.perf_counter()
    plan = plan_fleet(inv, CAMERAS_PER_CORE, cores_of=lambda _h: CORES)
    shard_s = time.perf_counter() - t0
    creds = {
        credential_name(c, inv.sites[c.site_id]): {"username": "u", "password": "p"}
        for c in inv.cameras()
    }
    # The stack reads fleet sizing from the inventory: a vigie.yml gives the same figures.
    entry = inventory_dir.parent / f"{inventory_dir.name}-vigie" / "vigie.yml"
    entry.parent.mkdir(exist_ok=True)
    entry.write_text(
        f"plugin: vigie\npath: {inventory_dir.resolve()}\ncameras_per_core: {CAMERAS_PER_CORE}\n"
    )
    t0 = time.perf_counter()
    mocks = run_stack("production", creds, inventory=str(entry))
    program_s = time.perf_counter() - t0
    n = len(mocks.resources)
    return {
        "inventory": label, "cameras": inv.camera_count(),
        "analysed": sum(len(s.cameras) for s in plan.shards), "shards": len(plan.shards),
        "shard_ms": round(shard_s * 1000, 1), "resources": n,
        "program_s": round(program_s, 2), "ms_per_resource": round(program_s * 1000 / n, 2),
    }  # fmt: skip


def main() -> int:
    vigie = Path(sys.executable).with_name("vigie")
    with tempfile.TemporaryDirectory(prefix="vigie-pul-bench-") as tmp:
        pilot = Path(tmp) / "pilot"
        pilot.symlink_to(REPO_ROOT / "inventories" / "pilot")
        rows = [measure("pilot", pilot)]
        for cameras in (1000, 4000):
            out = Path(tmp) / f"d{cameras}"
            subprocess.run(
                [str(vigie), "generate", str(out), "--cameras", str(cameras), "--seed", "78"],
                check=True, capture_output=True,
            )  # fmt: skip
            rows.append(measure(f"synthetic {cameras}", with_central(out)))
    for row in rows:
        print(json.dumps(row))
    base, big = rows[1], rows[-1]
    print(
        f"synthetic 4000 vs 1000: cameras x{big['cameras'] / base['cameras']:.1f}, "
        f"resources x{big['resources'] / base['resources']:.1f}, "
        f"program time x{big['program_s'] / base['program_s']:.1f}, "
        f"sharding time x{big['shard_ms'] / max(base['shard_ms'], 0.1):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
