"""The inventory as typed objects (pydantic, `extra="forbid"`).

Operators write YAML files; `vigie.loader` turns each file into a `Fragment`
and merges them into one `Inventory`. Every object remembers the file and line
of each of its values (`src_of`) so rules can point at what to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from vigie.names import camera_name, gateway_name, site_group
from vigie.vocabulary import AGENCY_KINDS, AREAS, SITE_KINDS
from vigie.yamlsrc import LDict, LList, Src


def _int_to_str(value: Any) -> Any:
    # `insee: 78646` (unquoted) is an int for YAML; Yvelines codes have no leading zero.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")]
Insee = Annotated[str, BeforeValidator(_int_to_str), StringConstraints(pattern=r"^\d[0-9AB]\d{3}$")]
Siren = Annotated[str, BeforeValidator(_int_to_str), StringConstraints(pattern=r"^\d{9}$")]
# Strict scalars: YAML `yes` is a boolean, not a number of days, and
# "12" or " " is text, not a number or a reference. Every field uses these.
Int = StrictInt
Date = Annotated[dt.date, Strict()]  # a YAML date, not a number of seconds
Bool = StrictBool
Text = Annotated[str, StringConstraints(pattern=r"\S")]  # not empty, not blank
RefId = Annotated[
    str, BeforeValidator(_int_to_str), StringConstraints(pattern=r"\S", min_length=1, max_length=80)
]
Relative = Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
Point = tuple[Relative, Relative]
Polygon = Annotated[list[Point], Field(min_length=3)]
Resolution = Annotated[str, StringConstraints(pattern=r"^\d{2,5}x\d{2,5}$")]


def _optional(info: Any) -> tuple:
    """A field's type with its checks (strictness, bounds) kept, made optional (overrides)."""
    typed = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return (typed | None, None)


class Node(BaseModel):
    """Base of every inventory object: strict keys, knows its source lines."""

    model_config = ConfigDict(extra="forbid", validate_default=False)
    _src: Src | None = PrivateAttr(default=None)
    _key_src: dict[str, Src] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_source(cls, data: Any, handler: Any) -> Any:
        obj = handler(data)
        if isinstance(data, LDict):
            obj._src = data.src
            obj._key_src = data.key_src
        return obj

    def src_of(self, field: str | None = None) -> Src:
        """Where `field` (or, when absent or None, the object itself) was written."""
        if field is not None and self._key_src and field in self._key_src:
            return self._key_src[field]
        return self._src or Src("<generated>", 0)


class Detection(Node):
    classes: list[Text] = Field(min_length=1)
    zones: dict[str, Polygon] = Field(default_factory=dict)
    # Lawful detection on collège grounds and departmental buildings runs outside
    # opening hours (docs/sources.md: the supervision centre's current practice).
    active: Literal["outside_opening_hours", "always"] = "outside_opening_hours"


class AnalysisStream(Node):
    """The substream a detector reads (ONVIF media profile 2 on most cameras).

    Capacity planning (`camerasPerCore`) is measured on this stream, not on the
    recorded main stream.
    """

    path: Text
    resolution: Resolution
    fps: Int = Field(ge=1, le=30)

    @field_validator("path")
    @classmethod
    def _path_only(cls, value: str) -> str:
        if not value.startswith("/") or "@" in value:
            raise ValueError("path is the path part of the RTSP URI, e.g. /stream2")
        return value

    @property
    def width_height(self) -> tuple[int, int]:
        width, height = self.resolution.split("x")
        return int(width), int(height)


class CameraModel(Node):
    """A camera model of the département's catalogue: what its substream is."""

    id: Text = Field(min_length=1)
    analysis_stream: AnalysisStream


class Closure(Node):
    """Days a site is closed (holidays): `outside_opening_hours` applies all day."""

    model_config = ConfigDict(extra="forbid", validate_default=False, populate_by_name=True)
    first: Date = Field(alias="from")
    last: Date = Field(alias="to")
    why: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.last < self.first:
            raise ValueError("`to` is before `from`")
        return self


class Camera(Node):
    id: Slug
    model: Text
    resolution: Resolution
    fps: Int = Field(ge=1, le=60)
    bitrate_kbps: Int = Field(ge=64, le=50_000)
    # Declared key-frame interval (GOP) of the recorded stream, in seconds: the
    # live view starts at a key frame and its segments are cut there
    # (CAMERA-GOP-SLOW warns above 2 s). The camera is configured to it.
    keyframe_seconds: Annotated[float, Strict(), Field(ge=0.5, le=10)] = 1.0
    codec: Literal["h264", "h265"] = "h264"
    retention_days: Int = Field(ge=1)
    purposes: list[Text]
    films_public_road: Bool
    sees_homes: Bool = False
    field_of_view: Literal["wide", "narrow"] = "wide"
    fast_movement: Bool = False
    area: Text | None = None
    # The area belongs to a school (an école maternelle or élémentaire, a lycée):
    # the CNIL's rules for schools apply, as on a collège site (LEGAL-COLLEGE-LIVING-AREA).
    # A whole school site says it once, in its `camera_defaults`.
    school: Bool = False
    recording: Literal["always", "outside_opening_hours"] = "always"
    privacy_masks: list[Polygon] = Field(default_factory=list)
    detection: Detection | None = None
    analysis_stream: AnalysisStream | None = None
    recorder: Int = Field(default=1, ge=1)
    detector_host: Int | None = Field(default=None, ge=1)
    rtsp_path: Text = "/stream1"
    credential: Text | None = None
    _site_id: str = PrivateAttr(default="")

    @field_validator("area")
    @classmethod
    def _known_area(cls, value: str | None) -> str | None:
        if value is not None and value not in AREAS:
            raise ValueError(f"unknown area {value!r}; one of: {', '.join(sorted(AREAS))}")
        return value

    @field_validator("rtsp_path")
    @classmethod
    def _path_without_credentials(cls, value: str) -> str:
        if not value.startswith("/") or "@" in value:
            raise ValueError(
                "rtsp_path is the path part of the URI (from ONVIF GetStreamUri), e.g. /stream1"
            )
        return value

    @property
    def site_id(self) -> str:
        return self._site_id

    @property
    def host_name(self) -> str:
        return camera_name(self._site_id, self.id)

    @property
    def width_height(self) -> tuple[int, int]:
        width, height = self.resolution.split("x")
        return int(width), int(height)


# Defaults accept any camera field but `id`, all optional, same checks.
CameraDefaults = create_model(
    "CameraDefaults",
    __base__=Node,
    **{name: _optional(info) for name, info in Camera.model_fields.items() if name != "id"},
)


class Recorder(Node):
    id: Int = Field(ge=1, le=39)
    disk_gb: Int = Field(ge=1)
    storage_path: Text = "/srv/vigie/recordings"
    purge_threshold_percent: Int = Field(default=90, ge=50, le=99)


class DetectorHost(Node):
    # Cores given to detector containers (one container per core).
    cores: Int = Field(default=4, ge=1, le=256)
    id: Int = Field(ge=1, le=39)


class Transmission(Node):
    """A "déport" of images to an agency (CSI L252-3)."""

    agency: Slug
    decision: RefId | None = None
    mode: Literal["on_event", "permanent"] = "on_event"


# Pseudonymous identities: `<agency or site id>/<role>-<number>`, the subject of
# a certificate or a group of the agency's directory; never a person's name.
Pseudonym = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")]


class AlarmSource(Node):
    """A building's own alarm system (intrusion panel, fire alarm) allowed to post alarms."""

    id: Slug
    kind: Literal["intrusion_panel", "fire_alarm"]
    identity: Pseudonym  # its client certificate subject, e.g. hdd-versailles/alarm-01
    cameras: list[Slug] = Field(default_factory=list)  # empty: every camera of the site


class AccessSettings(Node):
    """How much an agency sees on an event (vigie's choices; docs/access.md)."""

    window_before_min: Int = Field(default=5, ge=0)
    window_after_min: Int = Field(default=15, ge=1)
    live_view_min: Int = Field(default=15, ge=0)
    token_lifetime_s: Int = Field(default=300, ge=10)
    extension_min: Int = Field(default=15, ge=0)  # one extension, with a written reason
    break_glass_min: Int = Field(default=15, ge=1)
    export_approval: Literal["four_eyes"] = "four_eyes"
    journal_retention_days: Int = Field(default=1095, ge=1)


# A site overrides any setting but the journal's retention (one journal per département).
AccessOverride = create_model(
    "AccessOverride",
    __base__=Node,
    **{
        name: _optional(info)
        for name, info in AccessSettings.model_fields.items()
        if name != "journal_retention_days"
    },
)


class Site(Node):
    id: Slug
    name: Text
    kind: Literal[SITE_KINDS]  # type: ignore[valid-type]
    insee: Insee
    authorisation: RefId
    uplink: Slug
    opening_hours: Text | None = None
    timezone: Text | None = None
    recorded_at: Slug | None = None
    analysed_at: Slug | None = None
    camera_credential: Text | None = None
    camera_defaults: CameraDefaults | None = None  # type: ignore[valid-type]
    recorders: list[Recorder] = Field(default_factory=list)
    detector_hosts: list[DetectorHost] = Field(default_factory=list)
    transmissions: list[Transmission] = Field(default_factory=list)
    alarm_sources: list[AlarmSource] = Field(default_factory=list)
    access: AccessOverride | None = None  # type: ignore[valid-type]
    closures: list[Closure] = Field(default_factory=list)
    cameras: list[Camera] = Field(default_factory=list)

    @property
    def gateway(self) -> str:
        """Host name of the site gateway (every site has one, at `.1`)."""
        return gateway_name(self.id)

    @property
    def group(self) -> str:
        return site_group(self.id)

    @property
    def recording_site(self) -> str:
        return self.recorded_at or self.id

    @property
    def analysing_site(self) -> str:
        return self.analysed_at or self.id


class DetectionCapacity(Node):
    """Cameras one detector process (one core) analyses, measured by the detector
    benchmark on the `reference` analysis stream (detector_image/README.md)."""

    cameras_per_core: Int = Field(default=50, ge=1)
    reference: AnalysisStream = Field(
        default_factory=lambda: AnalysisStream(path="/stream2", resolution="640x360", fps=5)
    )


class Service(Node):
    """A service of the administration network the site hosts reach."""

    address: Text
    port: Int = Field(ge=1, le=65535)
    proto: Literal["tcp", "udp"] = "tcp"


class CentralHost(Node):
    """A host of the administration network running the central services
    (the platform's CA, the MQTT broker, the access gateway: docs/levee-de-doute.md)."""

    id: Int = Field(ge=1)
    address: Text


class WitnessHost(Node):
    """A host of the audit journal's witness (roles/witness), one the platform's
    administrators do not control (the DPO's), on the administration network: it
    pulls the journal from the central host and cosigns its checkpoints."""

    id: Int = Field(ge=1)
    address: Text
    # The witness's key name in the cosigned notes (C2SP note name), e.g. `dpo-78`.
    name: Slug


class Admin(Node):
    name: Slug
    ssh_keys: list[Text] = Field(min_length=1)


class Defaults(Node):
    camera: CameraDefaults | None = None  # type: ignore[valid-type]


class Departement(Node):
    code: Insee | Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    name: Text
    supernet: Text
    admin_prefix: Text
    timezone: Text = "Europe/Paris"
    ntp_servers: list[Text] = Field(min_length=1)
    admins: list[Admin] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    access: AccessSettings = Field(default_factory=AccessSettings)
    camera_models: list[CameraModel] = Field(default_factory=list)
    closures: list[Closure] = Field(default_factory=list)
    detection_capacity: DetectionCapacity = Field(default_factory=DetectionCapacity)
    # The only host that configures cameras (journaled automation), on the admin network.
    automation_controller: Text | None = None
    # Package mirror or proxy the hosts behind the site firewalls update from.
    package_mirror: Service | None = None
    # The datacenter hosts of the central services (Ansible group `central`).
    central: list[CentralHost] = Field(default_factory=list)
    # The audit journal's witnesses (Ansible group `witness`), off the central hosts.
    witnesses: list[WitnessHost] = Field(default_factory=list)


class PointOfPresence(Node):
    id: Slug
    name: Text
    insee: Insee
    kind: Literal["datacenter", "pop"] = "pop"


class Segment(Node):
    id: Slug
    ends: tuple[Slug, Slug]
    capacity_mbps: Int = Field(ge=1)
    length_m: Int = Field(ge=1)


class Agency(Node):
    id: Slug
    name: Text
    kind: Literal[AGENCY_KINDS]  # type: ignore[valid-type]
    commune: Insee | None = None
    epci: Siren | None = None
    operators: list[Pseudonym] = Field(default_factory=list)
    supervisors: list[Pseudonym] = Field(default_factory=list)  # approve exports, break-glass
    dpo: Text | None = None  # a functional mailbox of the DPO office, never a person's name


class Authorisation(Node):
    """A préfecture authorisation (CSI L252-1, L252-4): 5 years, renewable."""

    id: RefId
    holder: Text
    issued: Date
    expires: Date
    retention_days: Int = Field(ge=1)
    # Who approves judicial requisitions for the holder (pseudonymous).
    requisition_approver: Pseudonym | None = None


class Fragment(Node):
    """One data file. Every section is optional; the loader merges the files."""

    departement: Departement | None = None
    points_of_presence: list[PointOfPresence] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    agencies: list[Agency] = Field(default_factory=list)
    competent_force: dict[Insee, Literal["police", "gendarmerie"]] = Field(default_factory=dict)
    authorisations: list[Authorisation] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)


class Inventory:
    """The merged, checked inventory. Built by `vigie.loader.load_inventory`."""

    def __init__(self, path: str, departement: Departement):
        self.path = path
        self.departement = departement
        self.points_of_presence: dict[str, PointOfPresence] = {}
        self.segments: dict[str, Segment] = {}
        self.agencies: dict[str, Agency] = {}
        self.competent_force: dict[str, str] = {}
        self.force_src: dict[str, Src] = {}
        self.authorisations: dict[str, Authorisation] = {}
        self.sites: dict[str, Site] = {}
        self.lock: dict[str, Any] = {}
        self.lock_path: str | None = None
        self.warnings: list = []

    def cameras(self) -> Iterator[Camera]:
        for site in self.sites.values():
            yield from site.cameras

    def camera_count(self) -> int:
        return sum(len(site.cameras) for site in self.sites.values())


KNOWN_KEYS = frozenset(
    name
    for model in (
        Fragment,
        Departement,
        Defaults,
        Admin,
        PointOfPresence,
        Segment,
        Agency,
        Authorisation,
        Site,
        Recorder,
        DetectorHost,
        Transmission,
        AlarmSource,
        AccessSettings,
        Camera,
        Detection,
        AnalysisStream,
        CameraModel,
        Closure,
        DetectionCapacity,
        Service,
    )
    for name in model.model_fields
) | {"from", "to"}

__all__ = [
    "KNOWN_KEYS",
    "Agency",
    "AnalysisStream",
    "Authorisation",
    "Camera",
    "CameraDefaults",
    "CameraModel",
    "Closure",
    "Departement",
    "Detection",
    "DetectionCapacity",
    "DetectorHost",
    "Fragment",
    "Inventory",
    "LDict",
    "LList",
    "PointOfPresence",
    "Recorder",
    "Segment",
    "Service",
    "Site",
    "Transmission",
]
