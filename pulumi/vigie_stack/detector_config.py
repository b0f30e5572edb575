"""The configuration files of one detector container, rendered from the model.

Schema: ``vigie_detector.config.DetectorConfig`` (detector_image/README.md),
checked here before anything is declared. The detector refuses a password in
its configuration: the MQTT password goes to its own file (``password_file``).
Both files only ever exist inside secret ``pulumi.Output`` values (the config
carries the cameras' RTSP credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml
from pydantic import ValidationError
from vigie_detector.config import DetectorConfig
from vigie_stack.config import StackConfig

import pulumi
from vigie.ansible_view import camera_credential
from vigie.fleet import Shard

RTSP_PORT = 554
CONFIG_DIR = "/etc/vigie-detector"
CONFIG_FILE = f"{CONFIG_DIR}/config.yaml"
PASSWORD_FILE = f"{CONFIG_DIR}/mqtt-password"
CA_FILE = f"{CONFIG_DIR}/mqtt-ca.crt"
# Snapshots of events are recordings (CSI L252-5): on their own volume.
SNAPSHOTS_DIR = "/var/lib/vigie-detector/snapshots"


@dataclass(frozen=True)
class CameraSource:
    """What a detector needs to know about one camera, taken from the model."""

    id: str
    site: str
    url: str  # without credentials
    credential: str | None  # None: the camera needs no credentials
    detection: dict[str, Any]
    privacy_masks: list[list[list[float]]]
    opening_hours: str | None

    @classmethod
    def of(cls, camera: Any, inventory: Any, network: Any) -> CameraSource:
        site = inventory.sites[camera.site_id]
        address = network.sites[site.id].camera_address(camera.id)
        detection = camera.detection.model_dump(mode="json") if camera.detection else {}
        return cls(
            id=camera.id,
            site=site.id,
            url=f"rtsp://{address}:{RTSP_PORT}{camera.rtsp_path}",
            credential=credential_name(camera, site),
            detection=detection,
            privacy_masks=[[list(p) for p in poly] for poly in camera.privacy_masks],
            opening_hours=site.opening_hours,
        )


def credential_name(camera: Any, site: Any) -> str:
    """Name of the vault entry holding the camera's RTSP credentials (the model's rule)."""
    return camera_credential(site, camera)


def with_credentials(url: str, username: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def camera_entry(cam: CameraSource, credentials: dict[str, dict[str, str]]) -> dict[str, Any]:
    url = cam.url
    if cam.credential:
        if cam.credential not in credentials:
            raise ValueError(
                f"camera {cam.site}/{cam.id}: credential {cam.credential!r} is missing from the "
                "stack secret vigie:cameraCredentials"
            )
        cred = credentials[cam.credential]
        url = with_credentials(cam.url, cred["username"], cred["password"])
    return {
        "id": cam.id,
        "site": cam.site,
        "url": url,
        "detection": cam.detection,
        "privacy_masks": cam.privacy_masks,
        "opening_hours": cam.opening_hours,
    }


def document(
    shard: Shard,
    cameras: dict[tuple[str, str], CameraSource],
    config: StackConfig,
    credentials: dict[str, dict[str, str]],
) -> dict[str, Any]:
    mqtt = config.settings.mqtt
    return {
        "mqtt": {
            "host": mqtt.host,
            "port": mqtt.port,
            "username": mqtt.username,
            "password_file": PASSWORD_FILE,
            "topic_prefix": mqtt.topic_prefix,
            "client_id": f"{shard.host}-{shard.container_name}",
            **({"ca_file": CA_FILE} if mqtt.ca_file else {}),
        },
        "snapshots_dir": SNAPSHOTS_DIR,
        "cameras": [camera_entry(cameras[(c.site_id, c.id)], credentials) for c in shard.cameras],
    }


def render(
    shard: Shard, cameras: dict[tuple[str, str], CameraSource], config: StackConfig
) -> pulumi.Output[str]:
    """The configuration YAML of ``shard``, as a secret Output."""

    def build(credentials: dict[str, dict[str, str]] | None) -> str:
        doc = document(shard, cameras, config, credentials or {})
        try:  # the detector's own schema, before anything is deployed
            DetectorConfig.model_validate(doc)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise pulumi.RunError(f"{shard.resource_name}: DETECTOR-CONFIG: {problems}") from None
        return yaml.safe_dump(doc, sort_keys=False)

    return pulumi.Output.secret(config.camera_credentials.apply(build))
