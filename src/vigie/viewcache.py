"""A cache of the Ansible view, so that repeated Ansible runs skip loading and checking.

Keyed by everything the view depends on: the entry point's options, the size
and modification time of every data file and of the `vigie` package's own
sources, and today's date (authorisations expire). Any change is a miss; a
miss, an unreadable or a corrupt entry means building the view again. Stored
under `$XDG_CACHE_HOME/vigie` (default `~/.cache/vigie`), one file per entry
point, never inside the repository. `VIGIE_NO_CACHE=1` disables it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from vigie.errors import Diagnostic
from vigie.loader import data_files, load_inventory
from vigie.options import InventoryOptions

PACKAGE = Path(__file__).resolve().parent
FORMAT = 1


def _stamp(paths: list[Path]) -> list[tuple[str, int, int]]:
    out = []
    for path in paths:
        st = path.stat()
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return out


def cache_key(options: InventoryOptions, today: dt.date) -> str:
    root = options.data_dir
    files = [*data_files(root), *(p for p in [root / "netplan.lock.yml"] if p.exists())]
    parts = (
        FORMAT,
        repr(options),
        today.isoformat(),
        _stamp(sorted(files)),
        _stamp(sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.json"))),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _cache_file(options: InventoryOptions) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vigie"
    name = hashlib.sha256(str(options.source or options.data_dir).encode()).hexdigest()[:16]
    return base / f"view-{name}.pickle"


def build(options: InventoryOptions):
    """(AnsibleView, warnings) built from the data; raises InventoryError."""
    from vigie.ansible_view import to_ansible
    from vigie.desired import DesiredState

    inv = load_inventory(options.data_dir)
    return to_ansible(DesiredState.build(inv, options)), list(inv.warnings)


def cached_view(options: InventoryOptions) -> tuple[object, list[Diagnostic]]:
    if os.environ.get("VIGIE_NO_CACHE"):
        return build(options)
    key = cache_key(options, dt.date.today())
    path = _cache_file(options)
    try:
        with path.open("rb") as stream:
            stored_key, view, warnings = pickle.load(stream)
        if stored_key == key:
            return view, warnings
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
        pass  # no entry or an unusable one: build
    view, warnings = build(options)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            pickle.dump((key, view, warnings), tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only home still works, uncached
    return view, warnings
