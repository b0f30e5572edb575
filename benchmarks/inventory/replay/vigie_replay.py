"""Benchmark-only inventory plugin: the Ansible floor of the vigie plugin.

It reads a view already built by `vigie.ansible_view.build_view` (pickled by
bench.py) and hands it to Ansible through the vigie plugin's own `_populate`:
no YAML, no validation, no planning. What it costs is what ANY inventory
source delivering these hosts, groups and variables pays inside ansible-core
(add_host, set_variable's copy and tagging, then per-host get_vars and the
JSON dump), so static / replay is the highest ratio the vigie plugin could
reach, measured rather than argued.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: vigie_replay
short_description: replays a pickled vigie view (benchmarks only)
description:
  - Benchmark tool of benchmarks/inventory; never used by plays.
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: Marks this file as a vigie_replay source.
    required: true
    choices: ['vigie_replay']
  view:
    description: Pickle of a vigie.ansible_view.AnsibleView, written by bench.py.
    type: str
    required: true
"""

import importlib.util  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
from pathlib import Path  # noqa: E402

_VIGIE_PLUGIN = Path(__file__).resolve().parents[3] / "plugins" / "inventory" / "vigie.py"
_spec = importlib.util.spec_from_file_location("vigie_inventory_plugin", _VIGIE_PLUGIN)
_vigie = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_vigie)


class InventoryModule(_vigie.InventoryModule):
    NAME = "vigie_replay"

    def verify_file(self, path):
        return os.path.basename(path) == "vigie_replay.yml"

    def parse(self, inventory, loader, path, cache=True):
        # The grandparent's parse: sets up self.inventory without the vigie model.
        super(_vigie.InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        # bench.py wrote this pickle itself, in its own cache folder.
        with open(self.get_option("view"), "rb") as handle:
            view = pickle.load(handle)
        self._populate(view)
