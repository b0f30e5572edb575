"""The stack: inventory -> fleet plan -> one DetectorHost per detector host."""

from __future__ import annotations

from typing import Any

from vigie_stack import detector_config
from vigie_stack.config import StackConfig
from vigie_stack.host import DetectorHost
from vigie_stack.inventory import load_stack_inventory

import pulumi
from vigie.fleet import FleetError, FleetPlan, plan_fleet


def plan(config: StackConfig, inventory: Any) -> FleetPlan:
    settings = config.settings
    try:
        return plan_fleet(
            inventory,
            settings.cameras_per_core,
            cores_of=settings.cores_of,
        )
    except FleetError as exc:
        where = settings.inventory_path
        raise pulumi.RunError(
            "\n".join(f"{where}: {p.rule}: {p.message}" for p in exc.problems)
        ) from None


def declare(config: StackConfig) -> dict[str, DetectorHost]:
    inventory, network = load_stack_inventory(config.settings.inventory_path)
    fleet = plan(config, inventory)
    settings = config.settings
    cameras = {
        (c.site_id, c.id): detector_config.CameraSource.of(c, inventory, network)
        for c in inventory.cameras()
    }
    hosts: dict[str, DetectorHost] = {}
    for host_plan in fleet.hosts:
        name = host_plan.host.name
        number = int(name.rsplit("-det", 1)[1])
        address = network.sites[host_plan.host.site_id].detector_address(number, "management")
        configs = {
            shard.index: detector_config.render(shard, cameras, config)
            for shard in host_plan.shards
        }
        hosts[name] = DetectorHost(
            name,
            host_plan,
            docker_host=settings.docker_host(name, address),
            ssh_opts=settings.ssh_opts,
            image_name=settings.image_name,
            limits=settings.limits,
            configs=configs,
            mqtt_password=config.mqtt_password,
            mqtt_ca=settings.mqtt.ca_file.read_text() if settings.mqtt.ca_file else None,
        )
    pulumi.export(
        "shards",
        {s.resource_name: [f"{c.site_id}/{c.id}" for c in s.cameras] for s in fleet.shards},
    )
    pulumi.export("not_analysed", fleet.skipped)
    return hosts
