"""The detector's configuration: one YAML file, checked by pydantic.

The Pulumi stack renders one file per detector container from the inventory
(schema documented in detector_image/README.md). Coordinates of zones and
privacy masks are RELATIVE (0..1 of width and height), as in the inventory.
Secrets never appear here: the MQTT password is read from ``password_file``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Relative = Annotated[float, Field(ge=0.0, le=1.0)]
Point = tuple[Relative, Relative]
Polygon = Annotated[list[Point], Field(min_length=3)]

# The only lawful event classes (BRIEF.md: intrusion, fire/smoke, camera tamper).
EventClass = Literal["intrusion", "tamper", "fire"]
# Classes this version analyses; "fire" is accepted but not analysed (README).
ANALYSED_CLASSES = frozenset({"intrusion", "tamper"})


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
    topic_prefix: str = Field("vigie", pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
    client_id: str = "vigie-detector"
    keepalive_s: int = Field(30, ge=5, le=600)

    @model_validator(mode="before")
    @classmethod
    def _no_clear_password(cls, data: object) -> object:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "the MQTT password must not be in the configuration: "
                "write it to a file readable by the detector and set `password_file`"
            )
        return data


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


class Detection(Strict):
    """What to look for on a camera; same keys as the inventory's ``detection``."""

    classes: list[EventClass] = Field(min_length=1)
    zones: dict[str, Polygon] = Field(default_factory=dict)
    active: Literal["outside_opening_hours", "always"] = "outside_opening_hours"
    intrusion: IntrusionConfig = IntrusionConfig()
    tamper: TamperConfig = TamperConfig()

    @field_validator("classes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a class is listed twice")
        return value


class CameraConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
    site: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
    url: str = Field(
        min_length=1, description="rtsp://… (credentials allowed here, rendered as a secret)"
    )
    fps: float = Field(5.0, gt=0, le=30, description="analysis rate; extra frames are skipped")
    analysis_width: int = Field(
        640, ge=160, le=1920, description="frames are resized to this width"
    )
    detection: Detection | None = None
    privacy_masks: list[Polygon] = Field(default_factory=list)
    opening_hours: str | None = Field(
        None,
        description='e.g. "Mo-Fr 07:30-18:00; Sa 08:00-12:00"; null: never open (always closed)',
    )
    timezone: str | None = None

    @field_validator("opening_hours")
    @classmethod
    def _parsable_hours(cls, value: str | None) -> str | None:
        if value is not None:
            from vigie_detector.schedule import parse_opening_hours

            parse_opening_hours(value)
        return value


class DetectorConfig(Strict):
    mqtt: MqttConfig | None = Field(None, description="required by `run`, unused by `replay`")
    metrics: MetricsConfig = MetricsConfig()
    snapshots_dir: str = "/var/lib/vigie-detector/snapshots"
    snapshot_retention_days: int = Field(30, ge=1, le=30, description="CSI L252-5: at most 30 days")
    health_file: str = "/tmp/vigie-detector-health.json"
    timezone: str = "Europe/Paris"
    holidays: list[str] = Field(
        default_factory=list, description="ISO dates when sites stay closed"
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
