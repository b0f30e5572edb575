"""The configuration file of one detector container, rendered from the model.

Schema: ``vigie_detector.config.DetectorConfig`` (detector_image/README.md).
The document carries the MQTT password and the cameras' RTSP credentials, so
it only ever exists inside a secret ``pulumi.Output``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pulumi
import yaml

from vigie.fleet import Shard
from vigie_stack.config import StackConfig


def with_credentials(url: str, username: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def camera_entry(camera: Any, site: Any, credentials: dict[str, dict[str, str]]) -> dict[str, Any]:
    cred = credentials.get(camera.credential) if getattr(camera, "credential", None) else None
    url = camera.rtsp_url
    if cred:
        url = with_credentials(url, cred["username"], cred["password"])
    detection = camera.detection
    return {
        "id": camera.id,
        "site": camera.site_id,
        "url": url,
        "detection": detection.model_dump(mode="json")
        if hasattr(detection, "model_dump")
        else detection,
        "privacy_masks": [list(map(list, poly)) for poly in camera.privacy_masks],
        "opening_hours": _opening_hours(site),
    }


def _opening_hours(site: Any) -> Any:
    hours = getattr(site, "opening_hours", None)
    return hours.model_dump(mode="json") if hasattr(hours, "model_dump") else hours


def render(
    shard: Shard, cameras: dict[tuple[str, str], Any], sites: dict[str, Any], config: StackConfig
) -> pulumi.Output[str]:
    """YAML text for ``shard``, as a secret Output."""
    mqtt = config.settings.mqtt

    def build(args: list[Any]) -> str:
        password, credentials = args
        doc = {
            "mqtt": {
                "host": mqtt.host,
                "port": mqtt.port,
                "username": mqtt.username,
                "password": password,
                "topic_prefix": mqtt.topic_prefix,
                "client_id": f"{shard.host}-{shard.container_name}",
            },
            "cameras": [
                camera_entry(cameras[(c.site_id, c.id)], sites[c.site_id], credentials or {})
                for c in shard.cameras
            ],
        }
        validate(doc)
        return yaml.safe_dump(doc, sort_keys=False)

    return pulumi.Output.secret(
        pulumi.Output.all(config.mqtt_password, config.camera_credentials).apply(build)
    )


def validate(doc: dict[str, Any]) -> None:
    """Check the document against the detector's own model when it is installed."""
    try:
        from vigie_detector.config import DetectorConfig
    except ImportError:  # the detector package is optional for the stack
        return
    DetectorConfig.model_validate(doc)
