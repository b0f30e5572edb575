"""Helpers: run a committed stack's program under mocks with the tests' own secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigie_stack import stackfile
from vigie_stack.config import REPO_ROOT, read_config
from vigie_stack.mocked_run import RecordingMocks, run_under_mocks
from vigie_stack.program import declare

# The tests' own secret value (never the stacks' real ones, which need the
# stack passphrase): it must never show up outside a secret.
TEST_CAMERA_PASSWORD = "camera-password-for-tests-only"


# The central host a data set without one gets (generated or test data): the
# detectors publish to the model's broker, on the administration prefix.
CENTRAL = "  central:\n    - {id: 1, address: 10.78.0.40}\n"


def with_central(data_dir: Path) -> Path:
    """Give the data's département a central host (where the broker runs)."""
    path = data_dir / "departement.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("departement:\n", "departement:\n" + CENTRAL, 1), "utf-8")
    return data_dir


def stack_config(stack: str, **overrides: Any) -> dict[str, str]:
    """Plain (non-secret) settings of ``Pulumi.<stack>.yaml``, plus overrides."""
    raw = stackfile.load(REPO_ROOT / f"Pulumi.{stack}.yaml").get("config") or {}
    config = {
        k: v if isinstance(v, str) else json.dumps(v)
        for k, v in raw.items()
        if not (isinstance(v, dict) and set(v) == {"secure"})
    }
    config.update(
        {f"vigie:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    )
    return config


def run_stack(stack: str, credentials: dict[str, Any], **overrides: Any) -> RecordingMocks:
    config = stack_config(stack, **overrides)
    config["vigie:cameraCredentials"] = json.dumps(credentials)
    secret_keys = ["vigie:cameraCredentials"]
    return run_under_mocks(config, secret_keys, stack, lambda: declare(read_config()))


def plain_parts(value: Any):
    """Every string of recorded inputs that is NOT inside a secret."""
    from vigie_stack.mocked_run import is_secret

    if is_secret(value):
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from plain_parts(v)
    elif isinstance(value, list):
        for v in value:
            yield from plain_parts(v)
    elif isinstance(value, str):
        yield value
