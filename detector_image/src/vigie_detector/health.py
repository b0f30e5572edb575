"""Health: a JSON file the main loop rewrites; the container HEALTHCHECK reads it."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path


def write(path: str, doc: dict) -> None:
    """Atomic write (the HEALTHCHECK may read at any moment)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".health-")
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)
    os.replace(tmp, target)


def check(path: str, max_age: float) -> int:
    """0 when the detector wrote its health recently and is connected to MQTT."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {path}: {exc}", file=sys.stderr)
        return 1
    age = time.time() - doc.get("updated", 0)
    if age > max_age:
        print(f"unhealthy: health not updated for {age:.0f} s", file=sys.stderr)
        return 1
    if not doc.get("mqtt_connected"):
        print("unhealthy: not connected to the MQTT broker", file=sys.stderr)
        return 1
    print(f"healthy: {doc.get('cameras_up', 0)}/{doc.get('cameras', 0)} stream(s) up")
    return 0
