"""What the model derives from one camera, below every consumer: the name of its
login's vault variable, the stream a detector decodes, and whether a detector may
analyse it at all.

The rules, the fleet plan and the desired state all ask these questions; they
live here so that none of them has to import another to get the answer.
"""

from __future__ import annotations

from vigie.model import AnalysisStream, Camera, Inventory, Site
from vigie.names import default_credential
from vigie.vocabulary import DETECTION_CLASSES


def camera_credential(site: Site, camera: Camera) -> str:
    """Name of the vault variable holding the camera's login (never the secret)."""
    return camera.credential or site.camera_credential or default_credential(site.id)


def analysis_stream(inv: Inventory, camera: Camera) -> AnalysisStream:
    """The camera's own substream, else its model's, else its main stream."""
    if camera.analysis_stream is not None:
        return camera.analysis_stream
    for model in inv.departement.camera_models:
        if model.id == camera.model:
            return model.analysis_stream
    return AnalysisStream(path=camera.rtsp_path, resolution=camera.resolution, fps=camera.fps)


def unlawful_detection_classes(classes: list[str]) -> list[str]:
    return [c for c in classes if c not in DETECTION_CLASSES]


def lawful_detection(camera: Camera, site: Site | None = None) -> bool:
    """True when a detector may analyse this camera (rules LEGAL-DETECTION-*)."""
    if camera.detection is None:
        return True
    return not camera.films_public_road and not unlawful_detection_classes(camera.detection.classes)
