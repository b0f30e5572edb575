"""The detector's configuration: one YAML file, checked by pydantic.

The Pulumi stack renders one file per detector container from the inventory
(schema documented in detector_image/README.md). Coordinates of zones and
privacy masks are RELATIVE (0..1 of width and height), as in the inventory.
Secrets never appear here: the MQTT password is read from ``password_file``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Relative = Annotated[float, Field(ge=0.0, le=1.0)]
Point = tuple[Relative, Relative]
Polygon = Annotated[list[Point], Field(min_length=3)]

# The only lawful event classes (docs/sources.md: intrusion, fire/smoke, camera tamper).
EventClass = Literal["intrusion", "tamper", "fire"]
# Classes this version analyses (all the lawful ones).
ANALYSED_CLASSES = frozenset({"intrusion", "tamper", "fire"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MqttConfig(Strict):
    host: str
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password_file: str | None = Field(
        None, description="file holding the password; never the password"
    )
    ca_file: str | None = Field(
        None,
        description="CA certificate of the broker: when set, the connection is TLS and the "
        "broker's certificate is verified (ANSSI: flows authenticated and encrypted)",
    )
    cert_file: str | None = Field(
        None,
        description="this detector's client certificate (PEM): the broker maps its common "
        "name to the detector's identity and ACL; needs `ca_file` and `key_file`",
    )
    key_file: str | None = Field(
        None, description="file holding the client certificate's private key; never the key"
    )
    topic_prefix: str = Field("vigie", pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
    # Several containers share a host's identity: each needs its own client id
    # (the broker drops the older session of a duplicate id).
    client_id: str = Field("vigie-detector", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$")
    keepalive_s: int = Field(30, ge=5, le=600)

    @model_validator(mode="before")
    @classmethod
    def _no_clear_secret(cls, data: object) -> object:
        if isinstance(data, dict):
            if "password" in data:
                raise ValueError(
                    "the MQTT password must not be in the configuration: "
                    "write it to a file readable by the detector and set `password_file`"
                )
            if any(k in data for k in ("key", "private_key", "cert", "certificate")):
                raise ValueError(
                    "the client certificate and its key must not be in the configuration: "
                    "mount them read-only and set `cert_file` and `key_file` (paths)"
                )
            if any("-----BEGIN" in str(data.get(k) or "") for k in ("cert_file", "key_file")):
                raise ValueError(
                    "`cert_file`/`key_file` take paths, not PEM text: mount the files "
                    "read-only and give their paths"
                )
        return data

    @model_validator(mode="after")
    def _client_certificate_is_whole(self) -> MqttConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("`cert_file` and `key_file` go together")
        if self.cert_file and not self.ca_file:
            raise ValueError("a client certificate needs `ca_file` (TLS towards a verified broker)")
        return self


class MetricsConfig(Strict):
    address: str = "0.0.0.0"
    port: int = Field(9108, ge=0, le=65535, description="0 disables the Prometheus endpoint")


class IntrusionConfig(Strict):
    """Two stages: cheap motion on a downscaled frame, then HOG people verification."""

    persistence_frames: int = Field(
        3, ge=1, le=100, description="frames with motion in a zone before verifying"
    )
    verify_every_frames: int = Field(
        2, ge=1, le=50, description="at most one HOG verification per N frames"
    )
    hog_threshold: float = Field(
        0.3, ge=-2.0, le=5.0, description="minimum HOG SVM score of a person"
    )
    min_height: Relative = Field(0.08, description="smallest person, relative to frame height")
    pixels_per_metre: float | None = Field(
        None, gt=0, description="at the detection stream's height; when known, min height = 1 m"
    )
    min_motion_area: Relative = Field(
        0.002, description="smallest moving blob, relative to frame area"
    )
    cooldown_s: float = Field(60.0, ge=0, le=86_400, description="one event per zone per cool-down")


class TamperConfig(Strict):
    """Thresholds are ratios against a reference learned from the stream itself."""

    warmup_s: float = Field(3.0, ge=0.5, le=600)
    persist_s: float = Field(
        1.0, ge=0.0, le=60, description="a tamper condition must last this long"
    )
    reference_time_constant_s: float = Field(
        120.0, ge=5, le=86_400, description="slow refresh: dusk is not tamper"
    )
    accept_after_s: float = Field(
        600.0, ge=10, description="a lasting change becomes the new reference"
    )
    cooldown_s: float = Field(300.0, ge=0, le=86_400)
    frozen_after_s: float = Field(
        60.0, ge=5, le=3600, description="identical frames for this long: frozen"
    )
    signal_loss_after_s: float = Field(
        10.0, ge=1, le=3600, description="no frame for this long: signal loss"
    )


class FireConfig(Strict):
    """Flames (colour + flicker + anchored region) and smoke (grey veil, softened, drifting)."""

    kinds: list[Literal["flame", "smoke"]] = Field(["flame", "smoke"], min_length=1)
    memory_s: float = Field(
        2.0, ge=0.4, le=30, description="time constant of the per-pixel colour and flicker maps"
    )
    min_persistence: float = Field(
        0.35, gt=0, le=1, description="share of recent frames a pixel was flame-coloured"
    )
    min_flicker: float = Field(
        0.25, gt=0, le=1, description="share of recent frames a coloured pixel changed"
    )
    min_flicker_share: float = Field(
        0.3, ge=0, le=1, description="share of the anchored coloured area that flickers"
    )
    rigid_ratio: float = Field(
        0.65, gt=0, le=1, description="a region whose change a shift explains below this is rigid"
    )
    flicker_luma: int = Field(12, ge=1, le=255, description="brightness jump counted as flicker")
    min_area: Relative = Field(0.002, description="smallest fire region, relative to frame area")
    persist_s: float = Field(3.0, ge=0, le=60, description="a region must last this long")
    gap_s: float = Field(1.0, ge=0, le=60, description="a region may vanish this long")
    clear_after_s: float = Field(30.0, ge=1, le=3600, description="gone this long: fire is out")
    cooldown_s: float = Field(600.0, ge=0, le=86_400, description="one event per fire, then this")
    smoke_max_saturation: int = Field(60, ge=0, le=255, description="smoke is greyish")
    smoke_softening: float = Field(
        0.6, gt=0, lt=1, description="texture under smoke below this share of the background's"
    )
    smoke_min_blocks: int = Field(
        4, ge=1, le=1000, description="smallest smoke region, in 8x8 blocks of the 160 px frame"
    )
    smoke_warmup_s: float = Field(
        10.0, ge=0, le=600, description="background learning before smoke is judged"
    )
    background_s: float = Field(60.0, ge=5, le=3600, description="background time constant")


class Detection(Strict):
    """What to look for on a camera; same keys as the inventory's ``detection``."""

    classes: list[EventClass] = Field(min_length=1)
    zones: dict[str, Polygon] = Field(default_factory=dict)
    active: Literal["outside_opening_hours", "always"] = "outside_opening_hours"
    intrusion: IntrusionConfig = IntrusionConfig()
    tamper: TamperConfig = TamperConfig()
    fire: FireConfig = FireConfig()

    @field_validator("classes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a class is listed twice")
        return value


def _sans_user(url: str) -> str:
    """The URL without its user:password@ part."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


class AnalysisStream(Strict):
    """The substream the detector reads (the model's ``analysis_stream``)."""

    rtsp_url: str = Field(min_length=1, description="rtsp://… of the substream")
    resolution: str = Field(pattern=r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$")
    fps: float = Field(gt=0, le=30)

    @property
    def width(self) -> int:
        return int(self.resolution.split("x")[0])


class CameraConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
    site: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
    url: str | None = Field(
        None,
        min_length=1,
        description="rtsp://… of the stream to analyse when there is no analysis_stream",
    )
    analysis_stream: AnalysisStream | None = Field(
        None, description="the camera's substream: read instead of `url`, at its rate"
    )
    fps: float | None = Field(
        None, gt=0, le=30, description="analysis rate (default: the substream's, else 5)"
    )
    analysis_width: int = Field(
        640, ge=160, le=1920, description="frames are resized to this width"
    )
    snapshot_retention_days: int | None = Field(
        None, ge=1, le=30, description="the camera's retention (default: the detector's)"
    )
    detection: Detection | None = None
    privacy_masks: list[Polygon] = Field(default_factory=list)
    opening_hours: str | None = Field(
        None,
        description='e.g. "Mo-Fr 07:30-18:00; Sa 08:00-12:00"; null: never open (always closed)',
    )
    timezone: str | None = None
    # Per camera, not per container: a container analyses several sites, each
    # closed on its own days (the recorder's `recording.closures`).
    closures: list[dict[Literal["from", "to"], dt.date]] = Field(
        default_factory=list,
        description="[{from, to}] dates the camera's site is closed, both ends included",
    )

    @model_validator(mode="after")
    def _a_stream(self) -> CameraConfig:
        if self.url is None and self.analysis_stream is None:
            raise ValueError("give the camera an `analysis_stream` (or a `url`)")
        if (
            self.url
            and self.analysis_stream
            and _sans_user(self.url) != _sans_user(self.analysis_stream.rtsp_url)
        ):
            raise ValueError(
                "`url` must be the analysis substream (analysis_stream.rtsp_url, with its "
                "credentials): the detector reads the substream, never the main stream"
            )
        if self.fps is None:
            self.fps = self.analysis_stream.fps if self.analysis_stream else 5.0
        return self

    @property
    def stream_url(self) -> str:
        """What the detector opens: `url` (the substream with its credentials) or the substream."""
        return self.url or self.analysis_stream.rtsp_url

    @field_validator("opening_hours")
    @classmethod
    def _parsable_hours(cls, value: str | None) -> str | None:
        if value is not None:
            from vigie_detector.schedule import parse_opening_hours

            parse_opening_hours(value)
        return value

    @field_validator("closures")
    @classmethod
    def _readable_closures(cls, value: list[dict[str, dt.date]]) -> list[dict[str, dt.date]]:
        from vigie_detector.schedule import closure_days

        closure_days(value)
        return value


class DetectorConfig(Strict):
    mqtt: MqttConfig | None = Field(None, description="required by `run`, unused by `replay`")
    metrics: MetricsConfig = MetricsConfig()
    snapshots_dir: str = "/var/lib/vigie-detector/snapshots"
    snapshot_retention_days: int = Field(
        30, ge=1, le=30, description="CSI L252-5: at most 30 days; a camera's own is shorter"
    )
    health_file: str = "/tmp/vigie-detector-health.json"
    timezone: str = "Europe/Paris"
    holidays: list[str] = Field(
        default_factory=list,
        description="ISO dates when every camera's site is closed (each adds its `closures`)",
    )
    cameras: list[CameraConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_cameras(self) -> DetectorConfig:
        seen: set[tuple[str, str]] = set()
        for cam in self.cameras:
            key = (cam.site, cam.id)
            if key in seen:
                raise ValueError(f"camera {cam.site}/{cam.id} is listed twice")
            seen.add(key)
        return self
