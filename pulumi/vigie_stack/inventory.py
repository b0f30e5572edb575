"""The stack's desired state: the inventory read exactly as the inventory plugin reads it.

``vigie:inventory`` is a data directory or a ``vigie.yml`` (the lab's trims the
pilot); ``vigie.options`` parses it for both, and ``vigie.desired`` answers
which detector host and container analyses which camera for both.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
from vigie.desired import DesiredState
from vigie.errors import InventoryError
from vigie.loader import load_inventory
from vigie.options import OptionsError, read_options


def load_desired_state(path: Path) -> DesiredState:
    """Operator mistakes end the program with ``path:line: RULE: message``, no traceback."""
    try:
        options = read_options(path)
    except OptionsError as exc:
        raise pulumi.RunError(str(exc)) from None
    try:
        return DesiredState.build(load_inventory(options.data_dir), options)
    except InventoryError as exc:
        raise pulumi.RunError("\n".join(d.format() for d in exc.errors)) from None
