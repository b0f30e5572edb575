"""The service's configuration file (written by roles/access_gateway from the model)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Mqtt(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8883, ge=1, le=65535)
    ca_file: str
    cert_file: str
    key_file: str = Field(description="the service's private key; never in the repository")
    client_id: str = "vigie-access"


class Config(Strict):
    inventory: str = Field(description="the inventory directory (the one model)")
    socket: str = Field("/run/vigie-access/http.sock", description="Unix socket nginx proxies to")
    database: str = "/var/lib/vigie-access/access.sqlite"
    journal: str = "/var/lib/vigie-access/journal"
    keys: str = Field(
        "/etc/vigie-access/keys",
        description="folder of the service's signing keys (token, journal, export manifest)",
    )
    exports: str = "/var/lib/vigie-access/exports"
    mqtt: Mqtt
    # Base URL of each recorder's read-only segment server; {address} is the
    # recorder's address from the model.
    recorder_url: str = "http://{address}:8088"
    recorder_urls: dict[str, str] = Field(
        default_factory=dict, description="per recorder host name, overrides recorder_url"
    )
    # Base URL of each detector host's read-only snapshot server (the event's still
    # image, served under /snapshots/); {address} is the host's address from the model.
    snapshot_url: str = "http://{address}:8089"
    snapshot_urls: dict[str, str] = Field(
        default_factory=dict, description="per detector host name, overrides snapshot_url"
    )
    segment_seconds: float = Field(300, gt=0)
    settle_seconds: float = Field(2, ge=0)


def load(path: str | Path) -> Config:
    return Config.model_validate(yaml.safe_load(Path(path).read_text()))
