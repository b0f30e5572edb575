"""Remove everything the lab made on the Docker engine, and nothing else.

    .venv/bin/python -m lab.down

Only objects both named `vigie-lab-*` and labelled `vigie.lab=1` are removed:
containers first, then networks and volumes. `.lab/state.json` goes with them
(it describes a running lab: left behind, the lab tests would run against
containers that no longer exist instead of saying there is no lab). The rest of
`.lab/` (keys, secrets) is kept so that a new lab reuses them; `rm -rf .lab`
forgets them.
"""

from __future__ import annotations

import sys

from lab import docker_cli as d
from lab.up import LAB


def main() -> int:
    containers = d.lab_objects("container")
    if containers:
        d.docker("rm", "-f", "-v", *containers)
    networks = d.lab_objects("network")
    if networks:
        d.docker("network", "rm", *networks)
    volumes = d.lab_objects("volume")
    if volumes:
        d.docker("volume", "rm", *volumes)
    (LAB / "state.json").unlink(missing_ok=True)
    print(
        f"lab: removed {len(containers)} containers, {len(networks)} networks, "
        f"{len(volumes)} volumes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except d.DockerError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        sys.exit(2)
