"""The stack's configuration, read in this one place (``Pulumi.<stack>.yaml``, namespace ``vigie``).

The one secret (camera credentials) stays a ``pulumi.Output`` secret from here
to the containers; everything else is validated by pydantic. The detectors
authenticate to the broker with their host's client certificate only: the stack
holds no MQTT password. Where the broker is (host and port) is the model's
(``DesiredState.broker``), not the stack's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import pulumi

REPO_ROOT = Path(__file__).resolve().parents[2]


class MqttSettings(BaseModel):
    """TLS with the broker's CA everywhere (ANSSI: flows authenticated and encrypted)."""

    model_config = ConfigDict(extra="forbid")
    username: str
    topic_prefix: str = "vigie"
    # CA certificate of the broker (a file on the deploying machine, relative
    # paths from the repository root).
    ca_file: Path
    # Folder ON THE DETECTOR HOST holding its client certificate (cert.pem) and
    # key (key.pem), issued by the platform's CA for the host's identity (the
    # broker's user and ACL). Mounted read-only into the containers: the key
    # never enters the stack's state nor the configuration file.
    client_tls_dir: str | None = Field(None, pattern=r"^/", description="absolute path")

    @property
    def ca_path(self) -> Path:
        return self.ca_file if self.ca_file.is_absolute() else REPO_ROOT / self.ca_file


class ContainerLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # One detector process per core: a container gets one CPU and this much memory.
    cpus: float = Field(1.0, gt=0, le=8)
    memory_mb: int = Field(512, ge=64)


class StackSettings(BaseModel):
    """Everything the program needs besides the inventory and the secrets."""

    model_config = ConfigDict(extra="forbid")
    # A data directory or a `vigie.yml` (read by vigie.options, as the plugin
    # does): the fleet's sizing (cores, cameras per core) is in the inventory.
    inventory: Path
    # Docker endpoint of a detector host: "{name}" and "{address}" are filled in.
    # A non-root deploy account in the `docker` group (detector_host role).
    docker_host_template: str = "ssh://vigie-deploy@{address}"
    docker_hosts: dict[str, str] = Field(default_factory=dict)
    ssh_opts: list[str] = Field(default_factory=list)
    image_name: str = "vigie/detector:latest"
    limits: ContainerLimits = ContainerLimits()
    mqtt: MqttSettings

    def docker_host(self, name: str, address: str | None) -> str:
        if name in self.docker_hosts:
            return self.docker_hosts[name]
        return self.docker_host_template.format(name=name, address=address or name)

    @property
    def inventory_path(self) -> Path:
        return self.inventory if self.inventory.is_absolute() else REPO_ROOT / self.inventory


class StackConfig(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    settings: StackSettings
    camera_credentials: pulumi.Output  # {credential: {username, password}}, secret


# Moved to the inventory (one answer for the plugin and the stack).
MOVED = {
    "camerasPerCore": "departement.detection_capacity.cameras_per_core (or the "
    "vigie.yml option cameras_per_core)",
    "defaultCores": "detector_hosts[].cores",
    "cores": "detector_hosts[].cores",
}
# Moved to the model: the broker is the central hosts' (departement.central), on the
# port the site gateways open and roles/broker listens on.
MQTT_MOVED = {
    "host": "departement.central (the detectors publish to the first central host)",
    "port": "vigie.desired.MQTT_TLS_PORT (the model's MQTT port)",
}
# Retired: a leftover would be a secret that nothing uses.
RETIRED = {
    "mqttPassword": "the detectors authenticate to the broker with their host's client "
    "certificate only (use_identity_as_username); remove it "
    "(`pulumi config rm vigie:mqttPassword`)",
}


def _mqtt(raw: dict) -> dict:
    for key, where in MQTT_MOVED.items():
        if key in raw:
            raise pulumi.RunError(f"vigie:mqtt.{key}: STACK-MOVED: the model sets it: {where}")
    return raw


def read_config() -> StackConfig:
    cfg = pulumi.Config("vigie")
    for key, where in MOVED.items():
        if cfg.get(key) is not None:
            raise pulumi.RunError(f"vigie:{key}: STACK-MOVED: set {where} in the inventory")
    for key, why in RETIRED.items():
        if cfg.get_secret(key) is not None:  # never read in clear
            raise pulumi.RunError(f"vigie:{key}: STACK-RETIRED: {why}")
    settings = StackSettings(
        inventory=cfg.require("inventory"),
        docker_host_template=cfg.get("dockerHostTemplate") or "ssh://vigie-deploy@{address}",
        docker_hosts=cfg.get_object("dockerHosts") or {},
        ssh_opts=cfg.get_object("sshOpts") or [],
        image_name=cfg.get("imageName") or "vigie/detector:latest",
        limits=ContainerLimits(**(cfg.get_object("limits") or {})),
        mqtt=MqttSettings(**_mqtt(cfg.require_object("mqtt"))),
    )
    return StackConfig(
        settings=settings,
        camera_credentials=pulumi.Output.secret(cfg.get_secret_object("cameraCredentials") or {}),
    )
