"""The model's hand-over, read and checked with the schema the model built it with
(vigie.desired.gateway): the service reads no inventory."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from vigie.central import TOPIC_PREFIX
from vigie.desired.gateway import GatewayHandOver


class HandOverInvalid(Exception):
    """The hand-over is missing, not JSON, or breaks the schema: the service does not start."""


def load(path: str | Path) -> GatewayHandOver:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HandOverInvalid(f"{path}: cannot read the hand-over: {exc}") from None
    try:
        doc = GatewayHandOver.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}"
            for e in errors[:10]
        ]
        more = [f"  and {len(errors) - 10} more"] if len(errors) > 10 else []
        raise HandOverInvalid(
            "\n".join([f"{path}: not a valid hand-over (vigie.desired.gateway):", *lines, *more])
        ) from None
    # Topics are this service's code and the broker's ACL the model's: they must agree.
    if doc.broker.topic_prefix != TOPIC_PREFIX:
        raise HandOverInvalid(
            f"{path}: the broker's topics start with {doc.broker.topic_prefix!r}, "
            f"this service subscribes under {TOPIC_PREFIX!r} (another vigie's hand-over)"
        )
    return doc
