"""Run the stack under Pulumi's official mocks and record every resource's inputs.

Used by the unit tests (``pulumi.runtime.set_mocks``) and by the lab path when
the Pulumi CLI is absent: the containers started in the lab are then exactly
the ones this program declares, not a second description of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import rpc

import pulumi

SECRET_SIG = rpc._special_sig_key  # marks a secret value in recorded inputs


@dataclass
class Recorded:
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str | None


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == rpc._special_secret_sig


def reveal(value: Any) -> Any:
    """The plain value behind recorded secret wrappers (for the lab path only)."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    resources: list[Recorded] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs), args.provider))
        outputs = dict(args.inputs)
        if args.typ == "docker:index/image:Image":
            outputs.setdefault("repoDigest", "")
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        return {}, None

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == typ]


def run_under_mocks(
    config: dict[str, Any], secret_keys: list[str], stack: str, program: Any
) -> RecordingMocks:
    """Set the stack config, run ``program()`` under mocks, return what it declared."""
    plain = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    pulumi.runtime.set_all_config(plain, secret_keys)
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="vigie", stack=stack, preview=False)
    pulumi.runtime.test(program)()
    return mocks
