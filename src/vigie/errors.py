"""Diagnostics: what the operator reads. `path:line: RULE-ID: message`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int
    rule: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        level = "warning: " if self.severity == "warning" else ""
        text = f"{self.path}:{self.line}: {self.rule}: {level}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict:
        return asdict(self)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.rule, self.message)


class InventoryError(Exception):
    """Raised by `load_inventory` when at least one error-level rule is broken.

    `.diagnostics` holds every diagnostic of the run (errors and warnings),
    sorted by file and line.
    """

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics), key=Diagnostic.sort_key)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        super().__init__("\n".join(d.format() for d in errors) or "invalid inventory")

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]
