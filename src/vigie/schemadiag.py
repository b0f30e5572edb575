"""Schema errors as a technician reads them: what is expected, with an example.

pydantic says "String should match pattern '^[a-z0-9](?:...'" or "Input should be a
valid date": true, but nothing a commune's technician can act on. Each error is
turned into the form the value must take and an example, computed from the value
given when possible (`collège houdan` → `college-houdan`). The forms are read from
the model's own types, so a changed pattern can never be described wrongly: an
unknown one falls back to a plain "not in the expected form".
"""

from __future__ import annotations

import difflib
import re
import types
import typing
import unicodedata
from typing import Any

from pydantic import BaseModel, ValidationError

from vigie import model
from vigie.errors import Diagnostic
from vigie.yamlsrc import LDict, LList, Src

# Below this similarity a "did you mean" misleads more than it helps (`aera` is
# 0.80 like `camera`, 0.75 like `area`): only close keys are suggested.
SUGGEST_CUTOFF = 0.75


def _pattern(annotated: Any) -> str:
    return next(m.pattern for m in annotated.__metadata__ if getattr(m, "pattern", None))


SLUG_PATTERN = _pattern(model.Slug)
ID_FORM = (
    "an id uses only lowercase letters a-z, digits and '-': no accent, space, capital "
    "or '_'; at most 40 characters, starting and ending with a letter or a digit"
)


def slugify(text: str) -> str:
    """The id closest to `text` that the model accepts (may be empty)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")


def is_id(text: str) -> bool:
    return re.fullmatch(SLUG_PATTERN, text) is not None


def id_example(text: Any) -> str:
    suggestion = slugify(text) if isinstance(text, str) else ""
    return f"e.g. {suggestion or 'college-houdan'!r}"


# pattern -> (what the value must be, an example when the value gives none)
FORMS = {
    SLUG_PATTERN: (ID_FORM, None),
    _pattern(model.Insee): ("an INSEE code is 5 characters", 'e.g. "78646"'),
    _pattern(model.Siren): ("a SIREN number is 9 digits", 'e.g. "200034130"'),
    _pattern(model.Text): ("it must not be empty or blank", "write the text"),
    _pattern(model.Resolution): ("a resolution is WIDTHxHEIGHT in pixels", "e.g. 1920x1080"),
    _pattern(model.Pseudonym): ("an identity is AGENCY/ROLE-N", "e.g. pm-maule/op-1"),
}
DATE_FORM = "a date is written YYYY-MM-DD (ISO 8601)"
DATE_HINT = "e.g. 2026-09-01, unquoted: a quoted date is text"


def _shown(value: Any) -> str:
    """A short picture of a wrong value, never recursing (a hostile value may nest 1,000 deep)."""
    if isinstance(value, dict):
        keys = ", ".join(repr(k)[:20] for k in list(value)[:3])
        text = f"a mapping {{{keys}{', ...' if len(value) > 3 else ''}}}"
    elif isinstance(value, list):
        text = f"a list of {len(value)} item(s)"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _locate(raw: Any, loc: tuple) -> Src:
    node, src = raw, getattr(raw, "src", Src("?", 1))
    for part in loc:
        if (isinstance(node, LDict) and part in node) or (
            isinstance(node, LList) and isinstance(part, int) and 0 <= part < len(node)
        ):
            src, node = node.value_src(part), node[part]
    return src


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's type may hold: `list[Site]`, `Camera | None`, `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (list, tuple, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    if origin is dict:
        return _models_in(typing.get_args(annotation)[1])
    return []


def _keys_at(loc: tuple) -> frozenset[str]:
    """The keys allowed where an unknown key was written, else every key of the model."""
    current: list[type[BaseModel]] = [model.Fragment]
    for part in loc:
        if isinstance(part, int) or not current:
            continue  # a list index: same models
        fields = [m.model_fields[part] for m in current if part in m.model_fields]
        if fields:
            current = [m for f in fields for m in _models_in(f.annotation)]
    keys = {field.alias or name for m in current for name, field in m.model_fields.items()}
    return frozenset(keys) or model.KNOWN_KEYS


def _unknown_key(name: str, loc: tuple) -> str:
    close = difflib.get_close_matches(name, _keys_at(loc), n=1, cutoff=SUGGEST_CUTOFF)
    return f"did you mean {close[0]!r}?" if close else "remove it: docs/inventory.md lists the keys"


def _wrong_value(err: dict, name: str) -> tuple[str, str]:
    """(message, hint) of a value of the wrong form."""
    value = err.get("input")
    shown = _shown(value)
    if err["type"].startswith("date"):
        return f"{name}: got {shown}: {DATE_FORM}", DATE_HINT
    pattern = (err.get("ctx") or {}).get("pattern")
    if err["type"] == "string_pattern_mismatch":
        form, example = FORMS.get(pattern, ("not in the expected form", "see docs/inventory.md"))
        return f"{name}: {shown} is not valid: {form}", example or id_example(value)
    return f"{name}: {err['msg'].removeprefix('Value error, ')} (got {shown})", ""


def schema_diagnostics(exc: ValidationError, raw: Any) -> list[Diagnostic]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        src = _locate(raw, loc)
        names = [p for p in loc if isinstance(p, str) and not p.endswith("]") and "[" not in p]
        name = names[-1] if names else "value"
        if err["type"] == "extra_forbidden":
            out.append(
                Diagnostic(
                    src.path,
                    src.line,
                    "SCHEMA-UNKNOWN-KEY",
                    f"unknown key {name!r}",
                    _unknown_key(name, loc[:-1]),
                )
            )
        elif err["type"] == "missing":
            out.append(
                Diagnostic(src.path, src.line, "SCHEMA-MISSING", f"missing required key {name!r}")
            )
        else:
            message, hint = _wrong_value(err, name)
            out.append(Diagnostic(src.path, src.line, "SCHEMA-TYPE", message, hint))
    return out
