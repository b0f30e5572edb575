"""The stack's configuration, read in this one place (``Pulumi.<stack>.yaml``, namespace ``vigie``).

Secrets (MQTT password, camera credentials) stay ``pulumi.Output`` secrets from
here to the containers; everything else is validated by pydantic.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import pulumi

REPO_ROOT = Path(__file__).resolve().parents[2]


class MqttSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str
    port: int = Field(1883, ge=1, le=65535)
    username: str
    topic_prefix: str = "vigie"
    # CA certificate (a file on the deploying machine) when the broker speaks TLS.
    ca_file: Path | None = None


class ContainerLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # One detector process per core: a container gets one CPU and this much memory.
    cpus: float = Field(1.0, gt=0, le=8)
    memory_mb: int = Field(512, ge=64)


class StackSettings(BaseModel):
    """Everything the program needs besides the inventory and the secrets."""

    model_config = ConfigDict(extra="forbid")
    inventory: Path
    cameras_per_core: int = Field(ge=1)
    default_cores: int = Field(2, ge=1)
    cores: dict[str, int] = Field(default_factory=dict)  # per detector host, else default
    # Docker endpoint of a detector host: "{name}" and "{address}" are filled in.
    docker_host_template: str = "ssh://root@{name}"
    docker_hosts: dict[str, str] = Field(default_factory=dict)
    ssh_opts: list[str] = Field(default_factory=list)
    image_name: str = "vigie/detector:latest"
    limits: ContainerLimits = ContainerLimits()
    mqtt: MqttSettings

    def docker_host(self, name: str, address: str | None) -> str:
        if name in self.docker_hosts:
            return self.docker_hosts[name]
        return self.docker_host_template.format(name=name, address=address or name)

    def cores_of(self, host_name: str) -> int:
        return self.cores.get(host_name, self.default_cores)

    @property
    def inventory_path(self) -> Path:
        return self.inventory if self.inventory.is_absolute() else REPO_ROOT / self.inventory


class StackConfig(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    settings: StackSettings
    mqtt_password: pulumi.Output
    camera_credentials: pulumi.Output  # {credential: {username, password}}, secret


def read_config() -> StackConfig:
    cfg = pulumi.Config("vigie")
    settings = StackSettings(
        inventory=cfg.require("inventory"),
        cameras_per_core=cfg.require_int("camerasPerCore"),
        default_cores=cfg.get_int("defaultCores") or 2,
        cores=cfg.get_object("cores") or {},
        docker_host_template=cfg.get("dockerHostTemplate") or "ssh://root@{name}",
        docker_hosts=cfg.get_object("dockerHosts") or {},
        ssh_opts=cfg.get_object("sshOpts") or [],
        image_name=cfg.get("imageName") or "vigie/detector:latest",
        limits=ContainerLimits(**(cfg.get_object("limits") or {})),
        mqtt=MqttSettings(**cfg.require_object("mqtt")),
    )
    return StackConfig(
        settings=settings,
        mqtt_password=cfg.require_secret("mqttPassword"),
        camera_credentials=pulumi.Output.secret(cfg.get_secret_object("cameraCredentials") or {}),
    )
