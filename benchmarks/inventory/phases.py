"""CPU seconds of each phase of one `ansible-inventory --list` run, in process.

Usage: python phases.py SOURCE  (prints one JSON object). Phases:
`start` (Python and ansible-core imports), `vigie` (load + rules + view, zero
for other sources), `ingest` (the rest of inventory parsing: YAML for a static
file; add_host and set_variable for the plugin), `get_vars` (per-host variable
merge) and `dump` (the JSON text). CPU time, not wall time: on a shared
machine it measures this process only.
"""

from __future__ import annotations

import json
import sys
import time

START = time.process_time()

from ansible.cli.inventory import InventoryCLI  # noqa: E402
from ansible.inventory.manager import InventoryManager  # noqa: E402

import vigie.ansible_view  # noqa: E402
import vigie.loader  # noqa: E402

spent: dict[str, float] = {"vigie": 0.0}


def timed(owner, name: str, phase: str) -> None:
    original = owner.__dict__[name]
    function = original.__func__ if isinstance(original, staticmethod) else original

    def wrapper(*args, **kwargs):
        begin = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[phase] = spent.get(phase, 0.0) + time.process_time() - begin

    setattr(owner, name, staticmethod(wrapper) if isinstance(original, staticmethod) else wrapper)


# The plugin imports these two inside parse(), so wrapping the module attributes counts them.
timed(vigie.loader, "load_inventory", "vigie")
timed(vigie.ansible_view, "build_view", "vigie")
timed(InventoryManager, "parse_sources", "parse")
timed(InventoryCLI, "json_inventory", "get_vars")
timed(InventoryCLI, "dump", "dump")


def main(source: str) -> None:
    started = time.process_time() - START
    cli = InventoryCLI(["ansible-inventory", "-i", source, "--list", "--output", "/dev/null"])
    try:
        cli.run()
    except SystemExit as done:
        if done.code:
            raise
    print(
        json.dumps(
            {
                "start": started,
                "vigie": spent["vigie"],
                "ingest": spent["parse"] - spent["vigie"],
                "get_vars": spent["get_vars"],
                "dump": spent["dump"],
                "total": time.process_time(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
