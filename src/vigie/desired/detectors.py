"""Each detector container's configuration, without secrets (credential names only):
what the Pulumi program deploys, from the fleet plan's shards."""

from __future__ import annotations

from typing import Any

from vigie.desired.records import detector_camera
from vigie.fleet import FleetPlan
from vigie.model import Inventory
from vigie.schedule import closure_days


def detector_configs(
    inv: Inventory, fleet: FleetPlan, records: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Shard resource name -> its container's configuration."""
    # Closures are per camera (its site's and the département's, as the recorder
    # takes them): a container may analyse several sites. The container's holidays
    # are only the days every site is closed.
    dept = closure_days({"from": c.first, "to": c.last} for c in inv.departement.closures)
    holidays = [d.isoformat() for d in sorted(dept)]
    out = {}
    for shard in fleet.shards:
        cams = [
            detector_camera(c.site_id, c.id, records[f"{c.site_id}/{c.id}"]) for c in shard.cameras
        ]
        out[shard.resource_name] = {
            "host": shard.host,
            "container": shard.container_name,
            # One value per container until the detector reads it per camera.
            "snapshot_retention_days": min(c["snapshot_retention_days"] for c in cams),
            "timezone": inv.departement.timezone,
            "holidays": list(holidays),
            "cameras": cams,
        }
    return out
