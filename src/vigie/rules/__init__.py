"""The rules: small functions with a stable id and a source, in one registry.

A rule receives a `Context` and yields `Finding`s; the registry turns them
into `Diagnostic`s pointing at the line of the offending value. docs/inventory.md
lists every rule; `vigie rules` prints the registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# Re-exported: the rules, the plan and the Pulumi policy pack read it here.
from vigie.cameras import lawful_detection as lawful_detection
from vigie.errors import Diagnostic, Severity
from vigie.model import Inventory, Node
from vigie.netplan import plan_network
from vigie.sizing import fibre_tree


@dataclass
class Finding:
    obj: Node | None
    field: str | None
    message: str
    hint: str = ""
    severity: Severity | None = None
    src: Any = None  # explicit (path, line) when there is no object


@dataclass(frozen=True)
class Rule:
    id: str
    source: str
    summary: str
    severity: Severity
    check: Callable[[Context], Iterator[Finding]]
    # A finding for whoever reviews the inventory (validate, plan, the pull-request
    # review), not for the operator running a playbook: the inventory plugin does
    # not repeat it on every ansible-* command.
    review_only: bool = False


@dataclass
class Context:
    inv: Inventory
    today: dt.date
    extra: dict = field(default_factory=dict)

    @cached_property
    def plan(self):
        return plan_network(self.inv)

    @cached_property
    def tree(self):
        return fibre_tree(self.inv)


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    source: str,
    summary: str,
    severity: Severity = "error",
    *,
    review_only: bool = False,
):
    def register(fn: Callable[[Context], Iterator[Finding]]):
        if rule_id in REGISTRY:
            raise RuntimeError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = Rule(rule_id, source, summary, severity, fn, review_only)
        return fn

    return register


def run_rules(inv: Inventory, *, today: dt.date, only: set[str] | None = None) -> list[Diagnostic]:
    ctx = Context(inv, today)
    out: list[Diagnostic] = []
    for r in REGISTRY.values():
        if only and r.id not in only:
            continue
        for f in r.check(ctx):
            src = f.src or (f.obj.src_of(f.field) if f.obj is not None else (inv.path, 1))
            out.append(
                Diagnostic(src[0], src[1], r.id, f.message, f.hint, f.severity or r.severity)
            )
    return out


# Importing the modules registers their rules, in this order.
from vigie.rules import references, network, capacity, legal, hostnames, access, operations, live  # noqa: E402, F401, I001
