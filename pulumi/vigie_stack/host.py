"""One detector host: its Docker provider, its network and one container per shard."""

from __future__ import annotations

import hashlib

import pulumi_docker as docker
from vigie_stack.config import ContainerLimits
from vigie_stack.detector_config import (
    CA_FILE,
    CONFIG_DIR,
    CONFIG_FILE,
    SNAPSHOTS_DIR,
    TLS_DIR,
)
from vigie_stack.image import DetectorImage

import pulumi
from vigie.desired import constants
from vigie.fleet import HostPlan, Shard

NETWORK_NAME = "vigie-detectors"
# The Linux bridge gets the same fixed name, because the detector_host role's
# firewall rules match it (`detector_host__bridge`); Docker would otherwise
# name it br-<random id>.
BRIDGE_OPTIONS = {"com.docker.network.bridge.name": NETWORK_NAME}
# The detector rewrites its health file continuously; stale for 60 s, or not
# connected to the broker, means unhealthy (vigie_detector.health).
HEALTHCHECK = ["CMD", "python3", "-m", "vigie_detector", "healthcheck", "--max-age", "60"]


class DetectorHost(pulumi.ComponentResource):
    """Everything the stack runs on one detector host.

    Each shard gets a small volume holding its configuration. The file is
    written into the volume by a never-started "config" container (Docker
    refuses uploads into a read-only root filesystem), and the detector
    container mounts that volume read-only. A hash of the configuration is a
    label of the detector container, so a new configuration replaces it.
    """

    container_names: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        plan: HostPlan,
        docker_host: str,
        ssh_opts: list[str],
        image_name: str,
        limits: ContainerLimits,
        configs: dict[int, pulumi.Output[str]],
        mqtt_ca: str | None = None,
        client_tls_dir: str | None = None,
        snapshots_path: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("vigie:detector:Host", name, None, opts)
        self._mqtt_ca = mqtt_ca
        self._client_tls_dir = client_tls_dir
        # The program passes the detector host's own input; read at call time otherwise.
        self._snapshots_path = snapshots_path or constants.SNAPSHOTS_HOST_PATH
        child = pulumi.ResourceOptions(parent=self)
        self.provider = docker.Provider(
            f"{name}-docker", host=docker_host, ssh_opts=ssh_opts or None, opts=child
        )
        on_host = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.image = DetectorImage(f"{name}-image", image_name, provider=self.provider, opts=child)
        self.network = docker.Network(
            f"{name}-network",
            name=NETWORK_NAME,
            driver="bridge",
            options=BRIDGE_OPTIONS,
            opts=on_host,
        )
        self.containers = [
            self._shard(shard, limits, configs[shard.index], on_host) for shard in plan.shards
        ]
        self.container_names = pulumi.Output.all(*[c.name for c in self.containers])
        self.register_outputs({"container_names": self.container_names})

    def _shard(
        self,
        shard: Shard,
        limits: ContainerLimits,
        config_text: pulumi.Output[str],
        on_host: pulumi.ResourceOptions,
    ) -> docker.Container:
        volume = docker.Volume(
            f"{shard.resource_name}-config", name=f"{shard.container_name}-config", opts=on_host
        )
        writer = docker.Container(
            f"{shard.resource_name}-config-writer",
            name=f"{shard.container_name}-config",
            image=self.image.image_name,
            command=["true"],
            start=False,
            must_run=False,
            network_mode="none",
            mounts=[
                docker.ContainerMountArgs(type="volume", source=volume.name, target=CONFIG_DIR)
            ],
            # Root-owned, world-readable inside a single-purpose container:
            # the detector may run as any uid; nothing else runs there.
            uploads=[
                docker.ContainerUploadArgs(
                    file=CONFIG_FILE, content=pulumi.Output.secret(config_text), permissions="0444"
                ),
                *(
                    [
                        docker.ContainerUploadArgs(
                            file=CA_FILE, content=self._mqtt_ca, permissions="0444"
                        )
                    ]
                    if self._mqtt_ca
                    else []
                ),
            ],
            opts=on_host,
        )
        # The container's own folder on the host (made by roles/detector_host,
        # which serves it read-only to the access gateway): a named volume would
        # hide the images under /var/lib/docker where nothing may serve them.
        snapshots_dir = f"{self._snapshots_path}/{shard.container_name}"
        digest = config_text.apply(lambda text: hashlib.sha256(text.encode()).hexdigest()[:16])
        return docker.Container(
            shard.resource_name,
            name=shard.container_name,
            image=self.image.image_name,
            restart="unless-stopped",
            cpus=str(limits.cpus),
            memory=limits.memory_mb,
            memory_swap=limits.memory_mb,  # no swap: a leaking detector is restarted, not slowed
            read_only=True,
            privileged=False,
            # The detector needs no capability and never gains privileges.
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            security_opts=["no-new-privileges:true"],
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            # The image's entrypoint is `python3 -m vigie_detector`.
            command=["run", "--config", CONFIG_FILE],
            mounts=[
                docker.ContainerMountArgs(
                    type="volume", source=volume.name, target=CONFIG_DIR, read_only=True
                ),
                docker.ContainerMountArgs(type="bind", source=snapshots_dir, target=SNAPSHOTS_DIR),
                # The host's client certificate and key: read-only, never copied.
                *(
                    [
                        docker.ContainerMountArgs(
                            type="bind",
                            source=self._client_tls_dir,
                            target=TLS_DIR,
                            read_only=True,
                        )
                    ]
                    if self._client_tls_dir
                    else []
                ),
            ],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=HEALTHCHECK, interval="30s", timeout="5s", retries=3, start_period="30s"
            ),
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=self.network.name)],
            labels=[
                docker.ContainerLabelArgs(label="vigie.shard", value=shard.container_name),
                docker.ContainerLabelArgs(label="vigie.host", value=shard.host),
                docker.ContainerLabelArgs(
                    label="vigie.cameras",
                    value=",".join(f"{c.site_id}/{c.id}" for c in shard.cameras),
                ),
                docker.ContainerLabelArgs(label="vigie.config-sha256", value=digest),
            ],
            opts=pulumi.ResourceOptions.merge(on_host, pulumi.ResourceOptions(depends_on=[writer])),
        )
