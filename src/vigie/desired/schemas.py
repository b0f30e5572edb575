"""The typed hand-over: what each consumer is given, checked when the desired state
is built.

The model already refused bad inventory data; a value that breaks one of these
schemas is a bug of the builder (a key renamed on one side, a wrong type, a port
out of range), reported as `HandOverError` naming the host and the field before
anything reaches Ansible or Pulumi. Every role input of the consumer's prefix must
be declared here (`extra="forbid"`): a new input is typed before it ships. The
values handed over stay the builder's dicts, so the serialised names never move.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError


class HandOverError(RuntimeError):
    """The desired state breaks a consumer's schema: a bug of vigie, not of the data."""


def _address(value: str) -> str:
    ipaddress.ip_address(value)
    return value


def _prefix(value: str) -> str:
    ipaddress.ip_network(value)
    return value


Address = Annotated[str, AfterValidator(_address)]
Prefix = Annotated[str, AfterValidator(_prefix)]
Port = Annotated[int, Field(ge=1, le=65535)]
AbsolutePath = Annotated[str, Field(pattern=r"^/")]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Resolution = Annotated[str, Field(pattern=r"^\d{2,5}x\d{2,5}$")]
Point = Annotated[list[float], Field(min_length=2, max_length=2)]
Polygon = list[Point]
RtspUrl = Annotated[str, Field(pattern=r"^rtsp://[^@/]+/")]  # never a password


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Closure(_Schema):
    first: Day = Field(alias="from")
    last: Day = Field(alias="to")


class Recording(_Schema):
    mode: Literal["always", "outside_opening_hours"]
    opening_hours: str | None
    timezone: str
    closures: list[Closure]


class RecorderCamera(_Schema):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    address: Address
    rtsp_url: RtspUrl
    credential: str
    retention_days: Annotated[int, Field(ge=1, le=30)]
    bitrate_kbps: Annotated[int, Field(ge=1)] | None
    fps: Annotated[int, Field(ge=1)]
    keyframe_seconds: Annotated[float, Field(gt=0)]
    resolution: Resolution
    films_public_road: bool
    privacy_masks: list[Polygon]
    recording: Recording


class RecorderInputs(_Schema):
    """roles/recorder's inputs from the model (meta/argument_specs.yml)."""

    recorder__cameras: list[RecorderCamera]
    recorder__camera_prefixes: Annotated[list[Prefix], Field(min_length=1)]
    recorder__storage_path: Annotated[str, Field(min_length=1)]  # as the inventory has it
    recorder__purge_threshold_percent: Annotated[int, Field(ge=1, le=100)]
    recorder__segment_readers: list[Address]
    recorder__segment_port: Port
    recorder__live_path: Annotated[str, Field(pattern=r"^/[a-z][a-z-]*$")]  # a URL prefix
    recorder__live_buffer_path: Annotated[str, Field(pattern=r"^/run/")]  # tmpfs
    recorder__segment_seconds: Annotated[int, Field(ge=1)]
    recorder__live_segment_seconds: Annotated[int, Field(ge=1)]
    recorder__live_playlist_size: Annotated[int, Field(ge=2)]


class HostedDetector(_Schema):
    """One container of a detector host, as the lab's simulators and checks read it."""

    container: str
    cameras: list[Annotated[str, Field(pattern=r"^[^/]+/[^/]+$")]]
    streams: list[RtspUrl]


class DetectorHostInputs(_Schema):
    """roles/detector_host's inputs from the model, its group's and its own."""

    detector_host__camera_prefixes: Annotated[list[Prefix], Field(min_length=1)]
    detector_host__snapshot_readers: list[Address]
    detector_host__snapshot_port: Port
    detector_host__snapshot_path: AbsolutePath
    detector_host__snapshot_uid: Annotated[int, Field(ge=1000, le=65533)]
    detector_host__mqtt_prefixes: list[Prefix]
    detector_host__mqtt_port: Port
    vigie_detectors: list[HostedDetector]


class BrokerInputs(_Schema):
    """roles/broker's inputs from the model (the central group's)."""

    broker__acl: Annotated[str, Field(min_length=1)]
    broker__port: Port


class BrokerEndpoint(_Schema):
    """Where the Pulumi program tells the detectors to publish."""

    host: Address
    port: Port


class AnalysisStream(_Schema):
    rtsp_url: RtspUrl
    resolution: Resolution
    fps: Annotated[int, Field(ge=1)]


class Detection(_Schema):
    classes: Annotated[list[str], Field(min_length=1)]
    zones: dict[str, Polygon]
    active: Literal["always", "outside_opening_hours"]


class DetectorCamera(_Schema):
    id: str
    site: str
    url: RtspUrl
    credential: str
    fps: Annotated[int, Field(ge=1)]
    analysis_width: Annotated[int, Field(ge=1)]
    analysis_stream: AnalysisStream
    snapshot_retention_days: Annotated[int, Field(ge=1, le=30)]
    detection: Detection | None
    privacy_masks: list[Polygon]
    opening_hours: str | None
    timezone: str
    closures: list[Closure]


class DetectorConfig(_Schema):
    """One detector container's configuration, as the Pulumi program deploys it."""

    host: str
    container: str
    snapshot_retention_days: Annotated[int, Field(ge=1, le=30)]
    timezone: str
    holidays: list[Day]
    cameras: Annotated[list[DetectorCamera], Field(min_length=1)]


def check(schema: type[BaseModel], owner: str, values: dict[str, Any], prefix: str = "") -> None:
    """Validate what `owner` hands over: the schema's fields and every key of `prefix`."""
    fields = schema.model_fields
    wanted = {k: v for k, v in values.items() if k in fields or (prefix and k.startswith(prefix))}
    validate(schema, owner, wanted)


def validate(schema: type[BaseModel], owner: str, values: dict[str, Any]) -> None:
    """Validate a whole document `owner` hands over (an unknown key is refused)."""
    try:
        schema.model_validate(values)
    except ValidationError as exc:
        raise HandOverError(f"{owner}: the desired state breaks {explain(schema, exc)}") from None


def explain(schema: type[BaseModel], exc: ValidationError) -> str:
    """`Schema: field.path: message; ...`, the first five problems."""
    errors = exc.errors()
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]
    ) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
    return f"{schema.__name__}: {problems}"
