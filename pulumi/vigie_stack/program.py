"""The stack: the desired state's fleet plan -> one DetectorHost per detector host."""

from __future__ import annotations

from vigie_stack import detector_config
from vigie_stack.config import StackConfig
from vigie_stack.host import DetectorHost
from vigie_stack.inventory import load_desired_state

import pulumi


def declare(config: StackConfig) -> dict[str, DetectorHost]:
    settings = config.settings
    state = load_desired_state(settings.inventory_path)
    if state.fleet.hosts and state.broker is None:
        raise pulumi.RunError(
            f"{settings.inventory_path}: STACK-NO-BROKER: the detectors publish to the "
            "central broker: the inventory names no departement.central"
        )
    mqtt_ca = settings.mqtt.ca_path.read_text()
    hosts: dict[str, DetectorHost] = {}
    for host_plan in state.fleet.hosts:
        name = host_plan.host.name
        address = state.hosts[name].vars["ansible_host"]
        configs = {
            shard.index: detector_config.render(
                state.detectors[shard.resource_name], config, state.broker
            )
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
            mqtt_ca=mqtt_ca,
            client_tls_dir=settings.mqtt.client_tls_dir,
            # The folder roles/detector_host made and serves (one per container).
            snapshots_path=state.hosts[name].vars["detector_host__snapshot_path"],
        )
    pulumi.export(
        "shards",
        {s.resource_name: [f"{c.site_id}/{c.id}" for c in s.cameras] for s in state.fleet.shards},
    )
    pulumi.export("not_analysed", state.fleet.skipped)
    return hosts
