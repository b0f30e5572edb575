"""The options of an inventory entry point (`vigie.yml`), read in this one place.

The Ansible inventory plugin and the Pulumi program both accept either a data
directory or a `vigie.yml` that points at one and trims it (the lab). They
read it through `read_options`, so both see the same sites, the same cameras
and the same fleet sizing. Keys of Ansible's `constructed` feature (`groups`,
`keyed_groups`, `compose`, ...) belong to the plugin and are ignored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ENTRY_POINT_NAMES = ("vigie.yml", "vigie.yaml")
# Ansible's own keys (the `constructed` fragment and inventory caching).
ANSIBLE_KEYS = frozenset(
    {
        "plugin",
        "strict",
        "compose",
        "groups",
        "keyed_groups",
        "use_extra_vars",
        "leading_separator",
        "cache",
        "cache_plugin",
        "cache_timeout",
        "cache_connection",
        "cache_prefix",
    }
)
VIGIE_KEYS = ("path", "sites", "max_cameras_per_site", "cameras_per_core", "segment_seconds")


class OptionsError(ValueError):
    """A wrong entry point: `path: message` (an operator mistake)."""


@dataclass(frozen=True)
class InventoryOptions:
    """Where the data is and how much of it this entry point keeps."""

    data_dir: Path
    sites: tuple[str, ...] | None = None
    max_cameras_per_site: int | None = None
    # Overrides the département's `detection_capacity.cameras_per_core` (the lab
    # makes several shards with few cameras).
    cameras_per_core: int | None = None
    # Overrides the recorders' segment length (the lab's short segments, so that
    # its tests see several within minutes); the gateway's playlists follow.
    segment_seconds: int | None = None
    source: Path | None = None  # the vigie.yml read, None for a bare directory


def entry_point(path: Path) -> Path | None:
    """The `vigie.yml` of `path` (a file, or a directory holding one), else None."""
    if path.is_file():
        return path
    return next((path / n for n in ENTRY_POINT_NAMES if (path / n).is_file()), None)


def _positive_int(name: str, value: Any, where: Path, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OptionsError(f"{where}: `{name}` must be an integer of at least {minimum}")
    return value


def parse_options(data: Any, where: Path) -> InventoryOptions:
    """Options from the mapping of a `vigie.yml` (relative `path`: to its directory)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise OptionsError(f"{where}: an inventory entry point is a mapping")
    unknown = sorted(set(data) - ANSIBLE_KEYS - set(VIGIE_KEYS))
    if unknown:
        raise OptionsError(
            f"{where}: unknown option(s) {', '.join(unknown)}; known: {', '.join(VIGIE_KEYS)}"
        )
    raw_path = data.get("path") or "."
    if not isinstance(raw_path, str):
        raise OptionsError(f"{where}: `path` is a directory name")
    # Relative to this file, whatever the current directory.
    data_dir = Path(where.parent, Path(raw_path).expanduser()).resolve()
    sites = data.get("sites")
    if sites is not None and (
        not isinstance(sites, list) or not all(isinstance(s, str) for s in sites)
    ):
        raise OptionsError(f"{where}: `sites` is a list of site ids")
    return InventoryOptions(
        data_dir=data_dir,
        sites=tuple(sites) if sites is not None else None,
        max_cameras_per_site=_positive_int(
            "max_cameras_per_site", data.get("max_cameras_per_site"), where, 0
        ),
        cameras_per_core=_positive_int("cameras_per_core", data.get("cameras_per_core"), where, 1),
        segment_seconds=_positive_int("segment_seconds", data.get("segment_seconds"), where, 1),
        source=where,
    )


def read_options(path: str | Path) -> InventoryOptions:
    """Options of a data directory or of a `vigie.yml` (file, or directory holding one)."""
    path = Path(path)
    source = entry_point(path)
    if source is None:
        if not path.is_dir():
            raise OptionsError(f"{path}: neither an inventory directory nor a vigie.yml")
        return InventoryOptions(data_dir=path.resolve())
    try:
        data = yaml.safe_load(source.read_text())
    except yaml.YAMLError as exc:
        raise OptionsError(f"{source}: not YAML ({exc})") from None
    return parse_options(data, source)
