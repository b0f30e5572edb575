"""The access service's hand-over: everything `vigie-access` needs from the model, as
one JSON document the inventory plugin gives the central group
(`access_gateway__handover`), roles/access_gateway writes and the service loads.

The service never reads the inventory: where each camera is recorded and how to
reach it, which detector host keeps its still images, the alarm feeds, the broker,
the tokens' lifetime, and the access policy (Cedar policies and entities, the sites'
and agencies' facts the page shows) are answered here once, by
`vigie.desired.DesiredState`, with the deployment's options. The same schema checks
the document when the state is built and when the service starts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vigie.desired.schemas import Address, Port

VERSION = 1
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
# A server's base URL, without a path: the service appends the recorder's folder,
# the live path or /snapshots/ to it.
BaseUrl = Annotated[str, Field(pattern=r"^https?://[^/@\s]+$")]
Minutes = Annotated[int, Field(ge=0)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Camera(_Document):
    """One camera: the recorder that records it, the detector host analysing it."""

    key: Name  # the recorder's folder: <site>-<camera>
    site: Name
    camera: Name
    recorder: Name  # host name
    recorder_url: BaseUrl  # its read-only segment server (segments, live buffer)
    retention_days: Annotated[int, Field(ge=1, le=30)]
    detection: list[str]
    detector_host: Name | None  # None: no detector analyses it
    snapshot_url: BaseUrl | None  # that host's read-only still-image server


class AlarmFeed(_Document):
    site: Name
    source: str
    identity: str  # its certificate's common name (broker user)
    cls: Literal["intrusion", "fire"]
    cameras: Annotated[list[Name], Field(min_length=1)]


class Broker(_Document):
    host: Address
    port: Port
    topic_prefix: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]


class Terms(_Document):
    """The access settings in force at a site (vigie.access_policy.settings)."""

    window_before_min: Minutes
    window_after_min: Minutes
    live_view_min: Minutes
    token_lifetime_s: Annotated[int, Field(ge=1)]
    extension_min: Minutes
    break_glass_min: Minutes


class Site(_Document):
    name: str
    kind: str
    insee: str
    address: str | None
    access_point: str | None
    requisition_approver: str  # "" when none is designated
    terms: Terms


class Agency(_Document):
    kind: str
    operators: list[str]
    supervisors: list[str]


class CedarEntity(_Document):
    uid: dict[str, str]
    attrs: dict[str, Any]
    parents: list[dict[str, str]]


class Policy(_Document):
    """The access policy as the Cedar engine takes it (vigie.access_policy.cedar)."""

    text: Annotated[str, Field(min_length=1)]
    entities: list[CedarEntity]


class GatewayHandOver(_Document):
    version: Literal[1]
    departement: str
    broker: Broker
    live_path: Annotated[str, Field(pattern=r"^/[a-z0-9-]+$")]  # under each recorder_url
    segment_seconds: Annotated[int, Field(ge=1)]  # the recorders' segment length
    token_lifetime_s: Annotated[int, Field(ge=1, le=300)]
    cameras: dict[str, Camera]  # by key
    alarm_feeds: list[AlarmFeed]
    sites: dict[str, Site]
    agencies: dict[str, Agency]
    policy: Policy

    @model_validator(mode="after")
    def _one_set_of_sites(self) -> GatewayHandOver:
        """Every camera and alarm feed at a site the document describes, every alarm
        feed's camera a camera of its site: the service looks each up."""
        known = {(c.site, c.camera) for c in self.cameras.values()}
        for key, cam in self.cameras.items():
            if cam.key != key or cam.site not in self.sites:
                raise ValueError(f"camera {key}: not at a site of the document, or misfiled")
        for feed in self.alarm_feeds:
            if any((feed.site, c) not in known for c in feed.cameras):
                raise ValueError(f"alarm feed {feed.site}/{feed.source}: an unknown camera")
        return self

    def camera_count(self) -> int:
        return len(self.cameras)
