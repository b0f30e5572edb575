"""Behaviour checks: the role's real consumer, rendered for a host, carries the model's value.

Each check takes the roles folder (the repository's, or a mutated copy) and
returns what is wrong (empty: the value reaches the consumer).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from functools import cache
from pathlib import Path

from tests.contract.contract_hosts import ROLES, Inventory, inventory
from tests.contract.contract_render import model, render, script
from vigie.names import camera_name, default_credential

CAMERAS_JSON = "etc/vigie/recorder/cameras.json.j2"
CAMERA_JSON = "etc/vigie/recorder/cameras/camera.json.j2"
CREDENTIAL_JSON = "etc/vigie/recorder/credentials/credential.json.j2"
NFTABLES = "etc/nftables.conf.j2"
# A weekday at 10:00 in Paris, when every site of the inventories is open.
OPEN_HOUR = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def model_cameras(inv: Inventory) -> dict:
    """Recorder camera id -> (site, camera) of the model."""
    return {
        camera_name(s.id, c.id): (s, c) for s in model(inv.name).sites.values() for c in s.cameras
    }


def recorded(inv: Inventory, host: str) -> list[tuple[dict, object, object]]:
    """(handed-over camera, model site, model camera) of each camera the recorder records."""
    cams = model_cameras(inv)
    return [(c, *cams[c["id"]]) for c in inv.hostvars[host]["recorder__cameras"]]


@cache
def cameras_json(inv_name: str, host: str, roles: Path) -> dict:
    """The rendered cameras.json (rendering it deep-copies every camera: once per host)."""
    return json.loads(render(inventory(inv_name), host, "recorder", CAMERAS_JSON, roles))


def retention(inv: Inventory, host: str, roles: Path = ROLES) -> list[str]:
    """The housekeeping, fed the rendered cameras.json, deletes each camera's
    segments just past the model's retention and keeps those just within it."""
    config = cameras_json(inv.name, host, roles)
    housekeeping = script(roles / "recorder" / "files" / "vigie-recorder-housekeeping")
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    problems = []
    with tempfile.TemporaryDirectory() as storage:
        segments = {}
        for handed, _site, camera in recorded(inv, host):
            for age, expected in (
                (camera.retention_days - 0.5, "kept"),
                (camera.retention_days + 0.5, "deleted"),
            ):
                when = now - dt.timedelta(days=age)
                path = Path(storage, handed["id"], when.date().isoformat())
                path.mkdir(parents=True, exist_ok=True)
                path /= f"{handed['id']}_{when:%Y%m%dT%H%M%SZ}.ts"
                path.write_bytes(b"")
                segments[path] = (expected, camera.retention_days)
        housekeeping.retention({**config, "storage_path": storage}, now.timestamp())
        for path, (expected, days) in segments.items():
            if (path.exists() and expected == "deleted") or (
                not path.exists() and expected == "kept"
            ):
                problems.append(f"{host}: {path.name} should be {expected} (model: {days} days)")
    return problems


def _camera_files(inv: Inventory, host: str, roles: Path):
    config = cameras_json(inv.name, host, roles)
    housekeeping = {c["id"]: c for c in config["cameras"]}
    for handed, site, camera in recorded(inv, host):
        rendered = json.loads(render(inv, host, "recorder", CAMERA_JSON, roles, item=handed))
        yield handed, site, camera, rendered, housekeeping.get(handed["id"], {})


def privacy_masks(inv: Inventory, host: str, roles: Path = ROLES) -> list[str]:
    """A camera seeing homes has its model's masks in what vigie-record (camera
    json) and the mask check (cameras.json) read; a camera without none."""
    problems = []
    for handed, _site, camera, rendered, housekeeping in _camera_files(inv, host, roles):
        for where, masks in (
            ("camera json", rendered.get("privacy_masks")),
            ("cameras.json", housekeeping.get("privacy_masks")),
        ):
            if len(masks or []) != len(camera.privacy_masks) or masks != handed["privacy_masks"]:
                problems.append(
                    f"{host} {handed['id']}: {where} masks {masks}"
                    f" (model: {len(camera.privacy_masks)})"
                )
    return problems


def recording(inv: Inventory, host: str, roles: Path = ROLES) -> list[str]:
    """vigie-record's gate, fed the rendered camera json, pauses a camera the
    model records outside opening hours only while its site is open."""
    gate = script(roles / "recorder" / "files" / "vigie_schedule.py").recording_gate
    problems = []
    for handed, site, camera, rendered, _h in _camera_files(inv, host, roles):
        paused = camera.recording == "outside_opening_hours" and site.opening_hours is not None
        if (
            rendered["recording"].get("mode") != camera.recording
            or gate(rendered["recording"])(OPEN_HOUR) == paused
        ):
            problems.append(
                f"{host} {handed['id']}: recording {rendered['recording'].get('mode')}"
                f" (model: {camera.recording})"
            )
    return problems


def stream(inv: Inventory, host: str, roles: Path = ROLES) -> list[str]:
    """The declared resolution and fps reach the recorder (camera json) and
    the stream check (cameras.json)."""
    problems = []
    for handed, _site, camera, rendered, housekeeping in _camera_files(inv, host, roles):
        for where, data in (("camera json", rendered), ("cameras.json", housekeeping)):
            if (data.get("resolution"), data.get("fps")) != (camera.resolution, camera.fps):
                problems.append(
                    f"{host} {handed['id']}: {where} {data.get('resolution')}@{data.get('fps')}"
                )
    return problems


def credential(inv: Inventory, host: str, roles: Path = ROLES) -> list[str]:
    """Each camera's credential file holds the vault entry its model credential names."""
    problems = []
    for handed, site, camera in recorded(inv, host):
        rendered = json.loads(render(inv, host, "recorder", CREDENTIAL_JSON, roles, item=handed))
        name = camera.credential or default_credential(site.id)
        if rendered.get("username") != f"user-{name}":
            problems.append(f"{host} {handed['id']}: credential {rendered} (model: {name})")
    return problems


def automation_controller(inv: Inventory, host: str, roles: Path = ROLES) -> list[str]:
    """The gateway's nftables forward chain lets the automation controller, and
    only it, reach the site's cameras on 443."""
    controller = model(inv.name).departement.automation_controller
    cameras = inv.hostvars[host]["vigie_site_prefixes"]["cameras"]
    text = render(inv, host, "firewall", NFTABLES, roles)
    forward = text.split("chain forward", 1)[1].split("chain ", 1)[0]
    to_cameras = [
        line.strip() for line in forward.splitlines() if f"daddr {cameras} tcp dport 443" in line
    ]
    expected = f"ip saddr {controller}/32 ip daddr {cameras} tcp dport 443 accept"
    if [line.split(" comment", 1)[0] for line in to_cameras] != [expected]:
        return [
            f"{host}: forward rules to the cameras on 443: {to_cameras} (expected {expected!r})"
        ]
    return []
