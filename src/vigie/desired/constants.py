"""Values the model owns and hands to roles, the Pulumi stack and the gateway: each
has its home here and nowhere else (consumers read them from the desired state)."""

from __future__ import annotations

RTSP_PORT = 554
MQTT_TLS_PORT = 8883
# Recorders serve their segments read-only on this port, to the access gateway only.
SEGMENT_PORT = 8088
# The recorders' segment length: the access service cuts its windows to it.
SEGMENT_SECONDS = 300
# Under this path of SEGMENT_PORT a recorder serves each camera's rolling live buffer
# (`<LIVE_PATH>/<site>-<camera>/live.m3u8` and its short segments): the gateway asks
# it only for a camera under an open grant, and only the gateway may reach it.
LIVE_PATH = "/live"
# The recorders' live buffer, served under LIVE_PATH: short HLS segments (a key
# frame every segment) in memory (tmpfs), one folder per camera removed with its
# unit; the playlist keeps a few seconds for the live view.
LIVE_BUFFER_PATH = "/run/vigie-recorder/live"
LIVE_SEGMENT_SECONDS = 1
LIVE_PLAYLIST_SIZE = 6
# Detector hosts serve their events' still images read-only on this port, likewise.
SNAPSHOT_PORT = 8089
# Where a detector host keeps its containers' still images, one folder per
# container (roles/detector_host serves them, the Pulumi stack bind-mounts them).
SNAPSHOTS_HOST_PATH = "/var/lib/vigie-detector/snapshots"
# The detector image's account (its uid), owner of each container's snapshot folder
# on the host and of the host's MQTT key: detector_image/build-image.sh and the
# Pulumi stack build the image with it (build argument VIGIE_UID).
DETECTOR_UID = 10001
# Frames are downscaled to the width the detector benchmark measured
# (detector_image/README.md).
ANALYSIS_WIDTH = 640
MANAGED_GROUPS = ("recorders", "detector_hosts", "gateways")
CENTRAL_GROUP = "central"
# The audit journal's witnesses (roles/witness, playbooks/witness.yml).
WITNESS_GROUP = "witness"
# Where the central host's nginx serves the journal, read-only, to the witnesses.
JOURNAL_PATH = "/journal/"
