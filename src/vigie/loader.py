"""Read an inventory directory into one checked `Inventory`.

Every `*.yml` file under the directory is a *fragment* holding any of the
sections `departement`, `points_of_presence`, `segments`, `agencies`,
`competent_force`, `authorisations`, `sites`. Files skipped: the Ansible
entry point (`vigie.yml`), the allocation lock (`netplan.lock.yml`), hidden
files and `group_vars/`, `host_vars/`.

Camera values are resolved field by field: the camera, else the site's
`camera_defaults`, else the département's `defaults.camera`. A defaulted value
keeps the line of the default, so an error points where it was written.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vigie.errors import Diagnostic, InventoryError
from vigie.lockfile import LOCK_NAME, read_lock
from vigie.model import Fragment, Inventory
from vigie.rules import run_rules
from vigie.schemadiag import schema_diagnostics
from vigie.yamlsrc import MAX_TOTAL_BYTES, LDict, LList, Src, YamlProblem, load_yaml_file

ENTRY_POINT_NAMES = ("vigie.yml", "vigie.yaml")
SKIPPED_DIRS = {"group_vars", "host_vars"}


def data_files(root: Path) -> list[Path]:
    """The data files under `root`, without following symbolic links.

    A symbolic link (to a file or a directory) is returned as it is: reading it
    is then refused (YAML-UNREADABLE), so that a pull request cannot make the
    review read a file outside the inventory (/etc/shadow, a runner's token).
    """
    files = []
    for here, dirs, names in os.walk(root, followlinks=False):
        base = Path(here)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        linked_dirs = [d for d in dirs if (base / d).is_symlink()]
        for name in [*names, *linked_dirs]:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if name.startswith(".") or rel in ENTRY_POINT_NAMES or rel == LOCK_NAME:
                continue
            if path.is_symlink() or (path.suffix in (".yml", ".yaml") and path.is_file()):
                files.append(path)
    return sorted(files)


def _display(path: Path, root: Path, base: str) -> str:
    return f"{base}/{path.relative_to(root).as_posix()}" if base else str(path)


# --- camera defaults ---------------------------------------------------------------


def _merged(*layers: Any) -> Any:
    """Field-by-field overlay of raw mappings (last wins), keeping each value's source."""
    out = LDict()
    out.key_src = {}
    out.src = Src("<defaults>", 0)
    for layer in layers:
        if not isinstance(layer, LDict):
            continue
        out.src = layer.src
        for key, value in layer.items():
            out[key] = value
            out.key_src[key] = layer.value_src(key)
    return out


def _apply_camera_defaults(raw: Any, dept_defaults: Any) -> None:
    if not isinstance(raw, LDict) or not isinstance(raw.get("sites"), LList):
        return
    for site in raw["sites"]:
        if not isinstance(site, LDict) or not isinstance(site.get("cameras"), LList):
            continue
        site_defaults = site.get("camera_defaults")
        cams = site["cameras"]
        for i, cam in enumerate(cams):
            if isinstance(cam, LDict):
                cams[i] = _merged(dept_defaults, site_defaults, cam)


def _department_camera_defaults(raws: list[Any]) -> Any:
    for raw in raws:
        dept = raw.get("departement") if isinstance(raw, LDict) else None
        defaults = dept.get("defaults") if isinstance(dept, LDict) else None
        if isinstance(defaults, LDict):
            return defaults.get("camera")
    return None


# --- merge ----------------------------------------------------------------------------


def _dup(kind: str, ident: str, src: Src, first: Src) -> Diagnostic:
    return Diagnostic(
        src.path,
        src.line,
        "REF-DUPLICATE-ID",
        f"{kind} {ident!r} is defined twice (first at {first.path}:{first.line})",
        "give each one its own id",
    )


def _merge(
    fragments: list[Fragment], root_display: str
) -> tuple[Inventory | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    depts = [f.departement for f in fragments if f.departement is not None]
    if not depts:
        return None, [
            Diagnostic(
                root_display,
                1,
                "SCHEMA-MISSING",
                "no file has a `departement` section",
                "see docs/inventory.md",
            )
        ]
    for extra in depts[1:]:
        diags.append(_dup("departement", "section", extra.src_of(), depts[0].src_of()))
    inv = Inventory(root_display, depts[0])

    def add(table: dict, kind: str, items: Iterable) -> None:
        for item in items:
            if item.id in table:
                diags.append(
                    _dup(kind, str(item.id), item.src_of("id"), table[item.id].src_of("id"))
                )
            else:
                table[item.id] = item

    sites: dict = {}
    for frag in fragments:
        add(inv.points_of_presence, "point of presence", frag.points_of_presence)
        add(inv.segments, "segment", frag.segments)
        add(inv.agencies, "agency", frag.agencies)
        add(inv.authorisations, "authorisation", frag.authorisations)
        add(sites, "site", frag.sites)
        for insee, force in frag.competent_force.items():
            src = frag.src_of("competent_force")
            if insee in inv.competent_force:
                diags.append(_dup("competent force of commune", insee, src, inv.force_src[insee]))
            else:
                inv.competent_force[insee] = force
                inv.force_src[insee] = src
    for site in sites.values():
        for kind, items in (
            ("camera", site.cameras),
            ("recorder", site.recorders),
            ("detector host", site.detector_hosts),
        ):
            seen: dict = {}
            for item in items:
                if item.id in seen:
                    diags.append(
                        _dup(
                            f"{kind} of site {site.id}",
                            str(item.id),
                            item.src_of("id"),
                            seen[item.id].src_of("id"),
                        )
                    )
                else:
                    seen[item.id] = item
        for cam in site.cameras:
            cam._site_id = site.id
    inv.sites = dict(sorted(sites.items()))
    return inv, diags


def _read_lock(root: Path, base: str) -> tuple[dict, str | None, list[Diagnostic]]:
    path = root / LOCK_NAME
    if not os.path.lexists(path):
        return {}, None, []
    shown = _display(path, root, base)
    data, diags = read_lock(path, shown)
    return data, shown, diags


# --- a folder that is not an inventory's root ----------------------------------------------

ROOT_MARKERS = ("departement.yml", "departement.yaml", *ENTRY_POINT_NAMES)


def _enclosing_root(path: Path) -> Path | None:
    """The nearest folder above `path` that looks like an inventory's root, as the user wrote it."""
    candidates = list(path.parents)
    if not path.is_absolute():  # `vigie validate .` inside the inventory: `..`
        candidates += [Path(os.path.relpath(p)) for p in path.resolve().parents]
    for folder in candidates:
        if any((folder / name).is_file() for name in ROOT_MARKERS):
            return folder
    return None


def not_a_root(path: Path, shown: str) -> Diagnostic:
    """Said once, instead of a schema error per camera missing the département's defaults."""
    parent = _enclosing_root(path)
    return Diagnostic(
        shown,
        1,
        "USAGE",
        "not an inventory's root: no file here has the `departement` section "
        "(an inventory's root holds departement.yml, fibre.yml, agencies.yml, "
        "sites/ and communes/)",
        f"validate the whole inventory: vigie validate {parent}"
        if parent is not None
        else "give the folder holding departement.yml",
    )


# --- public API -------------------------------------------------------------------------


def check_inventory(
    path: str | Path, *, today: dt.date | None = None, display_base: str | None = None
) -> tuple[Inventory | None, list[Diagnostic]]:
    """Load and check; returns the inventory (None if unusable) and every diagnostic."""
    root = Path(path)
    base = display_base if display_base is not None else str(path).rstrip("/")
    if not root.is_dir():
        return None, [Diagnostic(str(path), 1, "USAGE", "the inventory directory does not exist")]
    diags: list[Diagnostic] = []
    raws: list[tuple[Path, Any]] = []
    files = data_files(root)
    total = sum(f.stat().st_size for f in files if f.is_file() and not f.is_symlink())
    if total > MAX_TOTAL_BYTES:
        return None, [
            Diagnostic(
                base or str(path),
                1,
                "YAML-TOO-LARGE",
                f"the data files hold {total} bytes, the limit is {MAX_TOTAL_BYTES}",
                "an inventory is KBs of text: remove what does not belong",
            )
        ]
    for file in files:
        shown = _display(file, root, base)
        try:
            data, problems = load_yaml_file(file, shown)
        except YamlProblem as problem:
            diags.append(problem.diagnostic)
            continue
        diags.extend(problems)
        if not isinstance(data, LDict):
            diags.append(
                Diagnostic(
                    shown,
                    1,
                    "SCHEMA-TYPE",
                    "a data file is a mapping of sections (departement, sites, ...)",
                )
            )
            continue
        raws.append((file, data))
    if not any(d.severity == "error" for d in diags) and not any(
        "departement" in raw for _, raw in raws
    ):  # every file read, none is the département's: a folder inside an inventory
        return None, [not_a_root(Path(path), base or str(path))]
    dept_defaults = _department_camera_defaults([r for _, r in raws])
    fragments = []
    for _file, raw in raws:
        _apply_camera_defaults(raw, dept_defaults)
        try:
            fragments.append(Fragment.model_validate(raw))
        except ValidationError as exc:
            diags.extend(schema_diagnostics(exc, raw))
    if any(d.severity == "error" for d in diags):
        return None, _dedupe(diags)
    inv, merge_diags = _merge(fragments, base)
    diags.extend(merge_diags)
    if inv is None or merge_diags:
        return None, _dedupe(diags)
    inv.lock, inv.lock_path, lock_diags = _read_lock(root, base)
    diags.extend(lock_diags)
    diags.extend(run_rules(inv, today=today or dt.date.today()))
    inv.warnings = [d for d in diags if d.severity == "warning"]
    return inv, _dedupe(diags)


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags), key=Diagnostic.sort_key)


def load_inventory(path: str | Path, *, today: dt.date | None = None) -> Inventory:
    """Load, check and return the inventory; raise InventoryError on any error."""
    inv, diags = check_inventory(path, today=today)
    if inv is None or any(d.severity == "error" for d in diags):
        raise InventoryError(diags)
    return inv
