"""Read the YAML configuration; operator mistakes become `path:line: RULE: message`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from vigie_detector.config import DetectorConfig

RULE = "DETECTOR-CONFIG"


class ConfigError(Exception):
    """Raised with one `path:line: RULE: message` line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _line_index(node: yaml.Node, prefix: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every key path of a YAML document to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            out[path] = key.start_mark.line + 1
            _line_index(value, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _line_index(value, (*prefix, i), out)
    return out


def _line_of(index: dict[tuple, int], loc: tuple) -> int:
    loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while loc and loc not in index:
        loc = loc[:-1]
    return index.get(loc, 1)


def load_config(path: str | Path) -> DetectorConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}:0: {RULE}: cannot read the file ({exc.strerror})"]) from None
    try:
        node = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        raise ConfigError([f"{path}:{line}: {RULE}: not valid YAML ({exc})"]) from None
    if not isinstance(data, dict) or node is None:
        raise ConfigError([f"{path}:1: {RULE}: expected a mapping with `cameras:`"])
    index = _line_index(node)
    try:
        return DetectorConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}:{_line_of(index, err['loc'])}: {RULE}: {where}: {msg}")
        raise ConfigError(lines) from None
