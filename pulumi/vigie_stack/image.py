"""The detector image, built from the repository's ``detector_image/``."""

from __future__ import annotations

import pulumi_docker as docker
from vigie_stack.config import REPO_ROOT

import pulumi
from vigie.desired import constants

DETECTOR_CONTEXT = REPO_ROOT / "detector_image"


class DetectorImage(pulumi.ComponentResource):
    """Builds ``detector_image/`` on the Docker engine of ``provider``.

    No registry is reachable from the platform's hosts (and none is needed):
    the image is built where it runs and never pushed. The build is offline
    (detector_image/Dockerfile): the context carries the hash-pinned wheelhouse
    (detector_image/wheelhouse.sh) and the host has the Debian base image.
    """

    image_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        image_name: str,
        base_image: str = "vigie/debian-slim:bookworm",
        provider: pulumi.ProviderResource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("vigie:detector:Image", name, None, opts)
        image = docker.Image(
            f"{name}-build",
            image_name=image_name,
            build=docker.DockerBuildArgs(
                context=str(DETECTOR_CONTEXT),
                dockerfile=str(DETECTOR_CONTEXT / "Dockerfile"),
                platform="linux/amd64",
                # The image's account is the model's (the host's folders and key
                # belong to that uid: roles/detector_host, playbooks/identities.yml).
                args={"BASE_IMAGE": base_image, "VIGIE_UID": str(constants.DETECTOR_UID)},
                # The classic builder, as detector_image/build-image.sh uses.
                builder_version=docker.BuilderVersion.BUILDER_V1,
            ),
            skip_push=True,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.image_name = image.image_name
        self.register_outputs({"image_name": self.image_name})
