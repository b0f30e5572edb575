"""YAML that remembers where every value came from, and refuses hostile input.

Containers are plain `dict` / `list` subclasses carrying the file and line of
each value, so a rule can point at the exact line an operator wrote. Aliases
and merge keys are refused (they are how "billion laughs" bombs are built, and
the inventory has its own defaults mechanism), duplicate keys are refused
(PyYAML would silently keep the last one).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, NamedTuple

import yaml

try:  # libyaml parses ten times faster; the constructor below stays in Python
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML wheels ship libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from vigie.errors import Diagnostic

# Caps on input: validation costs about 3.5 s of CPU and 170 MB of memory
# per MB of dense YAML (benchmarks/validate_cost), so a hostile pull request is
# bounded to ~15 s per file and ~1 min for the whole inventory. A real file is KBs;
# the whole Yvelines with 40,000 cameras is about 4 MB.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
MERGE_TAG = "tag:yaml.org,2002:merge"
# The tags an inventory needs; `!!binary`, `!!set`, `!!omap`, `!!python/...` are refused.
ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)


class Src(NamedTuple):
    path: str
    line: int


class LDict(dict):
    """A mapping with `src` (where it starts) and `key_src` (where each value is)."""

    __slots__ = ("key_src", "src")

    def value_src(self, key: Any) -> Src:
        return self.key_src.get(key, self.src)


class LList(list):
    # Item lines are plain ints (a Src per item would double the memory of long
    # flow lists); value_src builds the Src when a rule asks for it.
    __slots__ = ("item_lines", "src")

    def value_src(self, index: int) -> Src:
        if 0 <= index < len(self.item_lines):
            return Src(self.src.path, self.item_lines[index])
        return self.src


class YamlProblem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


class _Loader(_BaseLoader):
    def __init__(self, stream: str, path: str):
        super().__init__(stream)
        self.path = path
        self.problems: list[Diagnostic] = []

    def _src(self, node: yaml.Node) -> Src:
        return _new_src(Src, (self.path, node.start_mark.line + 1))  # skips a Python frame

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node is constructed once unless an alias points at it again.
        if node in self.constructed_objects:
            raise YamlProblem(
                Diagnostic(
                    self.path,
                    node.start_mark.line + 1,
                    "YAML-ALIAS",
                    "YAML anchors and aliases are not allowed",
                    "write the value out, or use `defaults` / `camera_defaults`",
                )
            )
        if node.tag not in ALLOWED_TAGS or (
            node.tag in (MAP_TAG, SEQ_TAG) and not isinstance(node, _COLLECTION[node.tag])
        ):
            raise YamlProblem(
                Diagnostic(
                    self.path,
                    node.start_mark.line + 1,
                    "YAML-VALUE",
                    f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed here",
                    "remove the tag",
                )
            )
        try:
            if type(node) is yaml.ScalarNode:
                # Fast path for scalars, most of a big file: same constructors, fewer frames.
                data = (
                    node.value
                    if node.tag == STR_TAG
                    else self.yaml_constructors[node.tag](self, node)
                )
                self.constructed_objects[node] = data
                return data
            return super().construct_object(node, deep)
        except (YamlProblem, yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:  # any constructor failure is the input's fault
            # The scanner accepted the text but the constructor cannot convert it:
            # `2025-02-30` (a date that does not exist), `!!int abc`, `!!float x`.
            kind = node.tag.rsplit(":", 1)[-1]
            hint = "write a valid value, or quote it to make it text"
            if kind == "timestamp":  # what a technician typed is a date: name its form
                kind, hint = "a date", "a date is written YYYY-MM-DD, ISO 8601: e.g. 2026-09-01"
            raise YamlProblem(
                Diagnostic(
                    self.path,
                    node.start_mark.line + 1,
                    "YAML-VALUE",
                    f"cannot read {_shown(node)} as {kind}: {exc}",
                    hint,
                )
            ) from None


MAP_TAG, SEQ_TAG = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
STR_TAG = "tag:yaml.org,2002:str"
_new_src = tuple.__new__
_COLLECTION = {MAP_TAG: yaml.MappingNode, SEQ_TAG: yaml.SequenceNode}


def _shown(node: yaml.Node) -> str:
    text = repr(node.value) if isinstance(node, yaml.ScalarNode) else f"this {node.id}"
    return text if len(text) <= 40 else text[:37] + "..."


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = LDict()
    data.src = loader._src(node)
    data.key_src = {}
    yield data
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            raise YamlProblem(
                Diagnostic(
                    loader.path,
                    key_node.start_mark.line + 1,
                    "YAML-ALIAS",
                    "merge keys (`<<`) are not allowed",
                    "use `defaults` / `camera_defaults`",
                )
            )
        constructed = loader.constructed_objects
        if type(key_node) is yaml.ScalarNode and key_node.tag == STR_TAG:
            if key_node in constructed:  # an alias: let construct_object refuse it
                loader.construct_object(key_node)
            key = constructed[key_node] = key_node.value  # the common case, inlined
        else:
            key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | bool | float) and key is not None:
            raise YamlProblem(
                Diagnostic(
                    loader.path,
                    key_node.start_mark.line + 1,
                    "YAML-SYNTAX",
                    "mapping keys must be plain scalars",
                )
            )
        if key in data:
            first = data.key_src[key].line
            loader.problems.append(
                Diagnostic(
                    loader.path,
                    key_node.start_mark.line + 1,
                    "YAML-DUPLICATE-KEY",
                    f"key {key!r} appears twice in this mapping (first on line {first})",
                    "keep one of them",
                )
            )
            continue
        if (
            type(value_node) is yaml.ScalarNode
            and value_node.tag == STR_TAG
            and value_node not in constructed
        ):
            data[key] = constructed[value_node] = value_node.value  # inlined: most values
        else:
            data[key] = loader.construct_object(value_node)
        # A block collection starts on the line after its key: point at the key.
        at = value_node if type(value_node) is yaml.ScalarNode else key_node
        data.key_src[key] = _new_src(Src, (loader.path, at.start_mark.line + 1))


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = LList()
    data.src = loader._src(node)
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child) for child in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def load_yaml_text(text: str, path: str) -> tuple[Any, list[Diagnostic]]:
    """Parse one YAML document; returns (data, non-fatal problems).

    Raises YamlProblem for anything that makes the file unusable.
    """
    loader = _Loader(text, path)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlProblem(
                Diagnostic(
                    path, 1, "YAML-EMPTY", "the file is empty", "delete it or give it content"
                )
            )
        data = loader.construct_document(node)
        if data is None:
            raise YamlProblem(
                Diagnostic(
                    path, 1, "YAML-EMPTY", "the file holds no data", "delete it or give it content"
                )
            )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = _indentation_tab(text, mark.line) if mark else None
        if column is not None:  # PyYAML's words for it ("cannot start any token") say nothing
            raise YamlProblem(
                Diagnostic(
                    path,
                    line,
                    "YAML-SYNTAX",
                    f"YAML indentation uses spaces; a tab was found at column {column}",
                    "replace it with spaces; set the editor to indent with spaces",
                )
            ) from None
        message = " ".join(filter(None, [exc.context, exc.problem]))
        raise YamlProblem(Diagnostic(path, line, "YAML-SYNTAX", message or str(exc))) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Diagnostic(path, 1, "YAML-SYNTAX", str(exc))) from None
    except RecursionError:
        raise YamlProblem(
            Diagnostic(path, 1, "YAML-SYNTAX", "the YAML is nested too deeply")
        ) from None
    except YamlProblem:
        raise
    except Exception as exc:  # last guard: input never gets a traceback
        raise YamlProblem(
            Diagnostic(path, 1, "YAML-VALUE", f"unreadable value: {type(exc).__name__}: {exc}")
        ) from None
    finally:
        loader.dispose()
    return data, loader.problems


def _indentation_tab(text: str, line: int) -> int | None:
    """The 1-based column of a tab in the indentation of the failing line, if any."""
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return None
    row = lines[line]
    indent = row[: len(row) - len(row.lstrip(" \t"))]
    if "\t" in indent:
        return indent.index("\t") + 1
    return None


def read_text_file(path: Path, shown: str) -> str:
    """The text of a regular file, refusing without blocking anything else.

    Opened with O_NONBLOCK and checked with fstat on the open descriptor: a
    directory, a FIFO or a device put where a data or lock file is expected is
    refused instead of read (a FIFO would block forever, /dev/zero would never end).
    """
    try:
        if os.path.islink(path):
            raise YamlProblem(
                Diagnostic(
                    shown, 1, "YAML-UNREADABLE", "is a symbolic link", "commit the file itself"
                )
            )
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise YamlProblem(
            Diagnostic(shown, 1, "YAML-UNREADABLE", "is a directory, not a file", "remove it")
        ) from None
    except OSError as exc:
        raise YamlProblem(
            Diagnostic(shown, 1, "YAML-UNREADABLE", exc.strerror or str(exc))
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise YamlProblem(
            Diagnostic(shown, 1, "YAML-UNREADABLE", f"is {what}", "replace it with a file")
        )
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > MAX_FILE_BYTES:
            raise YamlProblem(
                Diagnostic(
                    shown,
                    1,
                    "YAML-TOO-LARGE",
                    f"file is {info.st_size} bytes, the limit is {MAX_FILE_BYTES}",
                )
            )
        raw = handle.read(MAX_FILE_BYTES + 1)  # the file may grow after fstat
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(Diagnostic(shown, 1, "YAML-TOO-LARGE", "file grew past the limit"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlProblem(Diagnostic(shown, 1, "YAML-SYNTAX", "the file is not UTF-8")) from None


def load_yaml_file(path: Path, display: str | None = None) -> tuple[Any, list[Diagnostic]]:
    shown = display or str(path)
    return load_yaml_text(read_text_file(path, shown), shown)
