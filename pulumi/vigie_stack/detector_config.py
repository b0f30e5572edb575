"""The configuration files of one detector container, serialised from the desired state.

``vigie.desired.DesiredState.detectors`` holds each container's configuration
without secrets (credential names); this module adds the MQTT connection (the
broker's host and port from ``DesiredState.broker``, the TLS files from the
stack) and the cameras' RTSP credentials, and checks the result against the detector's
own schema (``vigie_detector.config.DetectorConfig``) before anything is
declared. Keys the detector's schema does not know yet are left out, so the
model may describe more (e.g. per-camera snapshot retention) than a given
image reads. The detector authenticates to the broker with its host's client
certificate only (``cert_file``/``key_file``, bind-mounted): no MQTT password
anywhere. The files only ever exist inside secret ``pulumi.Output`` values.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml
from pydantic import ValidationError
from vigie_detector.config import CameraConfig, DetectorConfig
from vigie_stack.config import StackConfig

import pulumi
from vigie.desired import camera_credential
from vigie.names import detector_client_id

CONFIG_DIR = "/etc/vigie-detector"
CONFIG_FILE = f"{CONFIG_DIR}/config.yaml"
CA_FILE = f"{CONFIG_DIR}/mqtt-ca.crt"
# The host's client certificate and key, bind-mounted read-only (host.py).
TLS_DIR = "/run/vigie-detector/tls"
CERT_FILE = f"{TLS_DIR}/cert.pem"
KEY_FILE = f"{TLS_DIR}/key.pem"
# Snapshots of events are recordings (CSI L252-5): on their own volume.
SNAPSHOTS_DIR = "/var/lib/vigie-detector/snapshots"


def credential_name(camera: Any, site: Any) -> str:
    """Name of the vault entry holding the camera's RTSP credentials (the model's rule)."""
    return camera_credential(site, camera)


def with_credentials(url: str, username: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def camera_entry(cam: dict[str, Any], credentials: dict[str, dict[str, str]]) -> dict[str, Any]:
    url = cam["url"]
    name = cam.get("credential")
    if name:
        if name not in credentials:
            raise ValueError(
                f"camera {cam['site']}/{cam['id']}: credential {name!r} is missing from the "
                "stack secret vigie:cameraCredentials"
            )
        url = with_credentials(url, credentials[name]["username"], credentials[name]["password"])
    entry = {**cam, "url": url}
    return {k: v for k, v in entry.items() if k in CameraConfig.model_fields}


def document(
    spec: dict[str, Any],
    config: StackConfig,
    credentials: dict[str, dict[str, str]],
    broker: dict[str, Any],
) -> dict[str, Any]:
    mqtt = config.settings.mqtt
    doc = {
        "mqtt": {
            "host": broker["host"],
            "port": broker["port"],
            # Ignored by the broker (use_identity_as_username): the certificate's CN is the user.
            "username": mqtt.username,
            "topic_prefix": mqtt.topic_prefix,
            "client_id": detector_client_id(spec["host"], spec["container"]),
            "ca_file": CA_FILE,
            **({"cert_file": CERT_FILE, "key_file": KEY_FILE} if mqtt.client_tls_dir else {}),
        },
        "snapshots_dir": SNAPSHOTS_DIR,
        "snapshot_retention_days": spec["snapshot_retention_days"],
        "timezone": spec["timezone"],
        "holidays": spec["holidays"],
        "cameras": [camera_entry(c, credentials) for c in spec["cameras"]],
    }
    return {k: v for k, v in doc.items() if k in DetectorConfig.model_fields}


def render(spec: dict[str, Any], config: StackConfig, broker: dict[str, Any]) -> pulumi.Output[str]:
    """The configuration YAML of one container (desired state ``spec``, the desired
    state's ``broker``), as a secret Output."""
    where = f"{spec['host']}-{spec['container'].removeprefix('vigie-')}"

    def build(credentials: dict[str, dict[str, str]] | None) -> str:
        doc = document(spec, config, credentials or {}, broker)
        try:  # the detector's own schema, before anything is deployed
            DetectorConfig.model_validate(doc)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise pulumi.RunError(f"{where}: DETECTOR-CONFIG: {problems}") from None
        return yaml.safe_dump(doc, sort_keys=False)

    return pulumi.Output.secret(config.camera_credentials.apply(build))
