"""The desired state of the platform, built once from the validated model.

`DesiredState.build(inventory, options)` answers every question a consumer
asks, once:

- `hosts`: every managed host (gateways, recorders, detector hosts), its
  groups and its role inputs already prefixed and shaped for the role
  (`recorder__cameras`, `detector_host__camera_prefixes`, `network__vlans`,
  `base__admins`, ...): nothing is projected in Jinja;
- `fleet`: the single answer to "which detector host and container analyses
  which camera" (`vigie.fleet`), host names from `vigie.names`;
- `detectors`: the configuration of every detector container, without
  secrets (credential names only);
- `firewall`: each gateway's allowed flows, as prefixes;
- `broker`: where the detectors publish (the first central host's address, on
  the `broker__port` the central group is given).
- `gateway`: the central gateway's hand-over (`vigie.desired.gateway`): every
  camera the deployment keeps with the recorder and still-image server to ask,
  alarm feeds, sites, agencies and the access policy; vigie-access reads it
  instead of an inventory.

Every hand-over is checked against its consumer's schema when the state is built
(`vigie.desired.schemas`). Consumers only serialise it: the inventory plugin
(`to_ansible`), the Pulumi program (`detectors`, `fleet`), the lab's topology
(`lab/topology.py`), vigie-access (`gateway`, through roles/access_gateway) and
`vigie plan` (what a change deploys, `vigie.plan_deploy`). `vigie summary` is a
sizing table of the model (the network plan, storage, fibre), not of hosts. Cameras are not Ansible
hosts: no play manages them; their data lives in the inputs of the hosts that
record or analyse them.

Modules: `constants` (ports, paths), `records` (one camera as recorders and
detectors take it), `flows` (the gateways' policy), `scope` (the sites kept),
`hosts`, `group_vars`, `detectors`, `gateway` (the gateway's hand-over schema),
`gateway_inputs` (built from the model), `schemas` (the typed hand-over), `builder`
(the wiring).
"""

from vigie.cameras import analysis_stream, camera_credential
from vigie.desired.builder import DesiredState
from vigie.desired.constants import (
    ANALYSIS_WIDTH,
    DETECTOR_UID,
    LIVE_BUFFER_PATH,
    LIVE_PATH,
    LIVE_PLAYLIST_SIZE,
    LIVE_SEGMENT_SECONDS,
    MANAGED_GROUPS,
    MQTT_TLS_PORT,
    RTSP_PORT,
    SEGMENT_PORT,
    SNAPSHOT_PORT,
    SNAPSHOTS_HOST_PATH,
)
from vigie.desired.flows import firewall_rules, gateway_policy, remote_links
from vigie.desired.group_vars import DUTIES
from vigie.desired.hosts import ManagedHost
from vigie.desired.records import RECORDER_CAMERA_KEYS, camera_record, detector_camera
from vigie.desired.schemas import HandOverError

__all__ = [
    "ANALYSIS_WIDTH",
    "DETECTOR_UID",
    "DUTIES",
    "LIVE_BUFFER_PATH",
    "LIVE_PATH",
    "LIVE_PLAYLIST_SIZE",
    "LIVE_SEGMENT_SECONDS",
    "MANAGED_GROUPS",
    "MQTT_TLS_PORT",
    "RECORDER_CAMERA_KEYS",
    "RTSP_PORT",
    "SEGMENT_PORT",
    "SNAPSHOTS_HOST_PATH",
    "SNAPSHOT_PORT",
    "DesiredState",
    "HandOverError",
    "ManagedHost",
    "analysis_stream",
    "camera_credential",
    "camera_record",
    "detector_camera",
    "firewall_rules",
    "gateway_policy",
    "remote_links",
]
