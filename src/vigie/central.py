"""The datacenter's services, computed from the model once: who talks to the broker
with which identity and which topics, and where the gateway finds each camera's footage.

Consumers (roles/pki, roles/broker, roles/access_gateway, the `vigie-access` service)
serialise these answers; none of them derives topology itself.

Identities are certificate common names (the broker maps CN -> user with
`use_identity_as_username`): detectors `<site>-det<N>`, agencies `agency-<id>`,
the access service `vigie-access`. Platform administrators get no identity:
they operate the platform, never receive events or images (separation of duties).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from vigie.fleet import FleetPlan, site_fleet
from vigie.model import Inventory, Site
from vigie.names import detector_client_id, detector_host_name, recorder_name
from vigie.netplan import NetworkPlan, plan_network

TOPIC_PREFIX = "vigie"
ACCESS_SERVICE = "vigie-access"
DPO_IDENTITY = "dpo"
DPO_ALERTS = f"{TOPIC_PREFIX}/dpo/alerts"

# What the access service accepts from a detector or a building's alarm (its
# clock is the reference): an event's `time` at most this far ahead of it, or
# this far behind it (a service restart, the broker's queue redelivering, a
# detector cut off a while; an older or future-dated event opens no grant).
EVENT_MAX_AHEAD_S = 5 * 60
EVENT_MAX_AGE_S = 30 * 60
# Per publisher (a camera's event topic, an alarm source): a token bucket of
# EVENT_BURST events refilled at EVENT_RATE_PER_MIN; events beyond are refused.
EVENT_RATE_PER_MIN = 10
EVENT_BURST = 10
# A new event of the same camera, class, kind and origin, dated and arriving
# within this many seconds of the last one (a detector repeating itself), joins
# the agency's open grant: no second grant, no second notification.
EVENT_JOIN_S = 1.0
# The largest event or alarm payload read (a detector's event is about 300 bytes).
EVENT_MAX_BYTES = 16 * 1024
# Grants cannot chain without limit: one agency views one camera for one class of
# anomaly at most GRANT_CAP_VIEWING_S of windows over any GRANT_CAP_PERIOD_S; a
# further event opens nothing and the département's supervision is told (a camera
# that keeps raising the same anomaly is broken, misplaced or watched: people decide).
GRANT_CAP_VIEWING_S = 8 * 3600
GRANT_CAP_PERIOD_S = 24 * 3600
GRANT_CAP_TELL_EVERY_S = 3600  # while capped, the supervision is reminded hourly
# A publisher refused for its rate (a flood: a broken or compromised detector) is
# reported to the supervision at most once in this many seconds.
FLOOD_ALERT_EVERY_S = 600
# The audit journal signs a checkpoint every JOURNAL_CHECKPOINT_ENTRIES entries or
# JOURNAL_CHECKPOINT_S seconds, whichever comes first: the tail no checkpoint vouches
# for yet stays that small.
JOURNAL_CHECKPOINT_ENTRIES = 256
JOURNAL_CHECKPOINT_S = 1.0


def event_topic(site_id: str, camera_id: str) -> str:
    """Where a detector publishes a camera's events (same as vigie_detector.events.topic)."""
    return f"{TOPIC_PREFIX}/{site_id}/{camera_id}/events"


def notification_topic(agency_id: str) -> str:
    return f"{TOPIC_PREFIX}/agencies/{agency_id}/notifications"


def alarm_topic(site_id: str, source_id: str) -> str:
    """Where one of a building's own systems (intrusion panel, fire alarm) posts alarms."""
    return f"{TOPIC_PREFIX}/{site_id}/alarms/{source_id}"


@dataclass(frozen=True)
class AlarmFeed:
    site: str
    source: str  # the alarm source's id in the inventory
    identity: str  # its certificate subject (broker user)
    cls: str  # intrusion | fire
    cameras: tuple[str, ...]  # the cameras it opens


ALARM_CLASS = {"intrusion_panel": "intrusion", "fire_alarm": "fire"}


def alarm_feeds(
    inv: Inventory, sites: Iterable[Site] | None = None
) -> dict[tuple[str, str], AlarmFeed]:
    """Every authenticated alarm source of the inventory (or of `sites`), by (site, source id)."""
    out = {}
    for site in inv.sites.values() if sites is None else sites:
        for src in getattr(site, "alarm_sources", []):
            cams = tuple(src.cameras) or tuple(c.id for c in site.cameras)
            out[(site.id, src.id)] = AlarmFeed(
                site.id, src.id, src.identity, ALARM_CLASS[src.kind], cams
            )
    return out


def agency_identity(agency_id: str) -> str:
    return f"agency-{agency_id}"


def detector_identity(site_id: str, number: int) -> str:
    return detector_host_name(site_id, number)


@dataclass
class BrokerUser:
    """One client certificate's rights on the broker (mosquitto acl_file syntax)."""

    name: str
    kind: str  # detector | agency | service
    write: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)

    def acl_lines(self) -> list[str]:
        lines = [f"user {self.name}"]
        lines += [f"topic write {t}" for t in self.write]
        lines += [f"topic read {t}" for t in self.read]
        return lines


@dataclass
class CameraSource:
    """Where the gateway fetches a camera's recorded segments."""

    key: str  # the recorder's folder name: <site>-<camera>
    site: str
    camera: str
    recorder: str  # host name of the recorder
    recorder_address: str
    retention_days: int
    detection: list[str]


def _analysed(inv: Inventory, fleet: FleetPlan | None) -> dict[str, list[tuple[str, list]]]:
    """Detector host -> [(container's client id, its cameras as (site, camera))]: the
    fleet plan's assignment, the same one the Pulumi stacks deploy."""
    if fleet is None:
        fleet = site_fleet(inv.sites, inv.departement.detection_capacity.cameras_per_core)
    out: dict[str, list[tuple[str, list]]] = defaultdict(list)
    for host in fleet.hosts:
        for shard in host.shards:
            cams = [(c.site_id, c.id) for c in shard.cameras]
            out[host.host.name].append((detector_client_id(shard.host, shard.container_name), cams))
    return out


def broker_users(inv: Inventory, fleet: FleetPlan | None = None) -> list[BrokerUser]:
    """Every broker identity and its topics: a detector writes only its own
    cameras' event topics (and its health), a building's alarm source only its
    own alarm topic, an agency reads only its own notification topic, the access
    service reads events and alarms and writes notifications. Sorted by name, so
    the ACL file is stable."""
    users: list[BrokerUser] = []
    # A detector host's certificate is its identity; each of its containers
    # writes its cameras' events and its own health topic (per client id).
    for name, shards in sorted(_analysed(inv, fleet).items()):
        topics = sorted(event_topic(site, cam) for _, cams in shards for site, cam in cams)
        health = sorted(f"{TOPIC_PREFIX}/detectors/{cid}/health" for cid, _ in shards)
        users.append(BrokerUser(name, "detector", [*topics, *health]))
    for feed in alarm_feeds(inv).values():
        users.append(BrokerUser(feed.identity, "alarm", [alarm_topic(feed.site, feed.source)]))
    for agency in inv.agencies.values():
        if agency.kind == "platform_admin":
            continue
        users.append(
            BrokerUser(agency_identity(agency.id), "agency", read=[notification_topic(agency.id)])
        )
    users.append(
        BrokerUser(
            ACCESS_SERVICE,
            "service",
            write=[f"{TOPIC_PREFIX}/agencies/+/notifications", DPO_ALERTS],
            read=[f"{TOPIC_PREFIX}/+/+/events", f"{TOPIC_PREFIX}/+/alarms/+"],
        )
    )
    # The DPO office's client reads break-glass alerts (the DPO is alerted).
    users.append(BrokerUser(DPO_IDENTITY, "service", read=[DPO_ALERTS]))
    return sorted(users, key=lambda u: u.name)


def mosquitto_acl(inv: Inventory, fleet: FleetPlan | None = None) -> str:
    """The broker's acl_file: no anonymous access, nothing but what is listed."""
    blocks = ["# Generated by vigie from the inventory: do not edit."]
    blocks += ["\n".join(u.acl_lines()) for u in broker_users(inv, fleet)]
    return "\n\n".join(blocks) + "\n"


def camera_sources(
    inv: Inventory, plan: NetworkPlan | None = None, sites: Iterable[Site] | None = None
) -> dict[str, CameraSource]:
    """Each camera's recorder (of `sites`, by default the inventory's), keyed by the
    recorder's folder name (<site>-<camera>)."""
    plan = plan or plan_network(inv)
    out: dict[str, CameraSource] = {}
    for site in inv.sites.values() if sites is None else sites:
        recording = inv.sites[site.recording_site]
        rplan = plan.sites[recording.id]
        for cam in site.cameras:
            out[cam.host_name] = CameraSource(
                key=cam.host_name,
                site=site.id,
                camera=cam.id,
                recorder=recorder_name(recording.id, cam.recorder),
                recorder_address=rplan.recorder_address(cam.recorder),
                retention_days=cam.retention_days,
                detection=sorted(cam.detection.classes) if cam.detection else [],
            )
    return out


def pki_identities(inv: Inventory, fleet: FleetPlan | None = None) -> dict[str, list[str]]:
    """Certificates the platform's CA issues, by kind (operators come from the
    agencies' operator lists once the access model defines them)."""
    users = broker_users(inv, fleet)
    sources = camera_sources(inv)
    return {
        "detectors": [u.name for u in users if u.kind == "detector"],
        "agencies": [u.name for u in users if u.kind == "agency"],
        "recorders": sorted({s.recorder for s in sources.values()}),
        "alarms": sorted(f.identity for f in alarm_feeds(inv).values()),
        "services": [ACCESS_SERVICE, DPO_IDENTITY],
    }


KIND_OF_GROUP = {
    "detectors": "detector",
    "agencies": "agency",
    "recorders": "recorder",
    "alarms": "alarm",
    "services": "service",
}


def central_inputs(inv: Inventory, fleet: FleetPlan | None = None) -> dict[str, object]:
    """What roles/pki and roles/broker apply: every identity and the broker's ACL."""
    identities = [
        {"name": name, "kind": KIND_OF_GROUP[kind]}
        for kind, names in pki_identities(inv, fleet).items()
        for name in names
    ]
    operators = [
        {"name": p, "kind": "operator"}
        for a in inv.agencies.values()
        for p in [*getattr(a, "operators", []), *getattr(a, "supervisors", [])]
    ]
    return {"identities": identities + operators, "acl": mosquitto_acl(inv, fleet)}
