"""The service's configuration file (written by roles/access_gateway): where its
files are on this host. What the model answers (cameras, recorders, ports, paths,
the policy) is in the hand-over it names (`handover`, vigie.desired.gateway)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Mqtt(Strict):
    host: str | None = Field(
        None, description="the broker's address when not the model's (its host's loopback)"
    )
    ca_file: str
    cert_file: str
    key_file: str = Field(description="the service's private key; never in the repository")
    client_id: str = "vigie-access"


class Config(Strict):
    handover: str = Field(description="the model's hand-over (JSON, vigie.desired.gateway)")
    socket: str = Field("/run/vigie-access/http.sock", description="Unix socket nginx proxies to")
    database: str = "/var/lib/vigie-access/access.sqlite"
    journal: str = "/var/lib/vigie-access/journal"
    keys: str = Field(
        "/etc/vigie-access/keys",
        description="folder of the service's signing keys (token, journal, export manifest)",
    )
    exports: str = "/var/lib/vigie-access/exports"
    mqtt: Mqtt
    delivery_log: str = Field(
        "/run/vigie-access/delivery-log.sock",
        description="Unix datagram socket nginx logs each viewing answer to (syslog)",
    )
    session_idle_s: float = Field(10, gt=0, description="a viewing session without a request ends")
    settle_seconds: float = Field(2, ge=0)


def load(path: str | Path) -> Config:
    return Config.model_validate(yaml.safe_load(Path(path).read_text()))
