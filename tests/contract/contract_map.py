"""Who enforces, on a running system, each inventory field a rule checks.

`ENFORCED`: field -> the places its value is handed over in the desired state
(`vigie.desired.DesiredState`) and, for each, the component that acts on it on
a running system and the test that proves it. A role's component names the
behaviour check (`rendered`) that renders it for every host of every inventory
and finds the model's value in it (test_enforcement.py, with a mutation of
the role that must fail it); any other component (`NOT_RENDERED`, with the
reason) and every test are repository paths that must exist and mention
their token.

`VALIDATION_ONLY`: fields whose check is the whole enforcement: a wrong value
stops `vigie validate` (CI, `playbooks/validate.yml`) and nothing at run time
reads them (paperwork, references, sizing).

`PENDING`: fields whose runtime consumer is not in the repository yet, with
who owes it. Their enforcers are still checked: the test reports them as
expected failures (xfail) while the consumer is missing, and as passes once it
lands, so the day it lands the entry is moved to `ENFORCED` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Enforcer:
    handed_over: str  # where the desired state hands the value over
    component: str  # repository path acting on it on a running system
    token: str  # what that component reads (must appear in it)
    test: str  # repository path of the test that proves it
    test_token: str  # what that test checks (must appear in it)
    # The behaviour check (tests/contract/contract_checks.py) that renders this
    # role consumer for every host and finds the model's value in it; empty:
    # the component is outside the roles (NOT_RENDERED says why).
    rendered: str = ""


RECORDER = "recorder__cameras[]"
DETECTOR = "detectors[].cameras[]"

ENFORCED: dict[str, list[Enforcer]] = {
    "Camera.retention_days": [
        Enforcer(
            f"{RECORDER}.retention_days",
            "roles/recorder/files/vigie-recorder-housekeeping",
            "retention_days",
            "roles/recorder/tests/test_housekeeping.py",
            "retention",
            rendered="retention",
        ),
        Enforcer(
            f"{DETECTOR}.snapshot_retention_days",
            "detector_image/src/vigie_detector/events.py",
            "snapshot_retention_days",
            "detector_image/tests/test_config.py",
            "snapshot_retention",
        ),
        Enforcer(
            f"{RECORDER}.retention_days",
            "roles/monitoring/files/vigie-recorder-metrics",
            "retention_days",
            "roles/monitoring/tests/test_recorder_metrics.py",
            "retention",
        ),
    ],
    "Camera.credential": [
        Enforcer(
            f"{RECORDER}.credential",
            "roles/recorder/tasks/cameras.yml",
            "credential",
            "roles/recorder/molecule/default/tests/test_recorder.py",
            "credential",
            rendered="credential",
        ),
        Enforcer(
            f"{DETECTOR}.credential",
            "pulumi/vigie_stack/detector_config.py",
            "credential",
            "pulumi/tests/test_pilot_stack.py",
            "credential_name",
        ),
    ],
    "Detection.classes": [
        Enforcer(
            f"{DETECTOR}.detection.classes",
            "detector_image/src/vigie_detector/config.py",
            "EventClass",
            "detector_image/tests/test_config.py",
            "classes",
        ),
    ],
    "Camera.detection": [
        Enforcer(
            "fleet (lawful cameras only)",
            "src/vigie/fleet.py",
            "lawful",
            "pulumi/tests/test_pilot_stack.py",
            "test_no_camera_filming_the_public_road_is_analysed",
        ),
        Enforcer(
            "the stack's containers",
            "pulumi/policy/vigie_policies.py",
            "lawful_detection",
            "pulumi/tests/test_pilot_stack.py",
            "validate_lawful_cameras",
        ),
    ],
    "Camera.analysis_stream": [
        Enforcer(
            f"{DETECTOR}.analysis_stream",
            "detector_image/src/vigie_detector/config.py",
            "analysis_stream",
            "detector_image/tests/test_config.py",
            "analysis_stream",
        ),
    ],
    "Site.opening_hours": [
        Enforcer(
            f"{DETECTOR}.opening_hours",
            "detector_image/src/vigie_detector/schedule.py",
            "parse_opening_hours",
            "detector_image/tests/test_schedule.py",
            "opening",
        ),
    ],
    "Transmission.agency": [
        # No firewall opening towards recorders for agencies any more: they view
        # through the access gateway (tests/inventory/test_segment_reach.py).
        Enforcer(
            "access policy (docs/access.md)",
            "src/vigie/access_policy/competence.py",
            "transmissions",
            "tests/access/test_decisions.py",
            "decide",
        ),
    ],
    "Site.detector_hosts": [
        Enforcer(
            "fleet.hosts[].shards (one container per core)",
            "pulumi/vigie_stack/host.py",
            "shards",
            "pulumi/tests/test_pilot_stack.py",
            "test_shards_respect_capacity_and_count",
        ),
    ],
    "Departement.automation_controller": [
        Enforcer(
            "vigie_firewall_forward_rules (automation -> cameras 443)",
            "roles/firewall/templates/etc/nftables.conf.j2",
            "forward_rules",
            "tests/contract/test_contract.py",
            "automation_controller",
            rendered="automation_controller",
        ),
    ],
    "AccessSettings.journal_retention_days": [
        Enforcer(
            "access settings",
            "src/vigie/audit/retention.py",
            "journal_retention_days",
            "tests/audit/test_retention.py",
            "retention",
        ),
    ],
    "Agency.operators": [
        Enforcer(
            "access policy",
            "src/vigie/access_policy/policy.py",
            "operators",
            "tests/access/test_decisions.py",
            "op-",
        ),
    ],
    "Camera.sees_homes": [
        # The model turns the homes a camera sees into privacy masks; the
        # recorder re-encodes masked cameras with the masks filled black and
        # checks recorded frames periodically.
        Enforcer(
            f"{RECORDER}.privacy_masks",
            "roles/recorder/files/vigie-record",
            "write_mask",
            "roles/recorder/molecule/default/tests/test_recorder.py",
            "test_masked_regions_are_black_in_every_recorded_frame",
            rendered="privacy_masks",
        ),
        Enforcer(
            f"{RECORDER}.privacy_masks",
            "roles/recorder/files/vigie_masks.py",
            "mask_bitmap",
            "roles/recorder/tests/test_masks.py",
            "mask_bitmap",
            rendered="privacy_masks",
        ),
        Enforcer(
            f"{RECORDER}.privacy_masks",
            "roles/recorder/files/vigie-recorder-housekeeping",
            "PRIVACY-MASK-LEAK",
            "roles/recorder/tests/test_housekeeping.py",
            "test_mask_check_reports_black_and_leaking_cameras",
            rendered="privacy_masks",
        ),
        Enforcer(
            f"{RECORDER}.privacy_masks",
            "roles/recorder/files/vigie-recorder-housekeeping",
            "privacy_masks",
            "tests/lab/test_recording_enforced.py",
            "test_masked_regions_are_black_in_every_recorded_frame",
            rendered="privacy_masks",
        ),
    ],
    "Camera.recording": [
        Enforcer(
            f"{RECORDER}.recording",
            "roles/recorder/files/vigie_schedule.py",
            "recording_gate",
            "roles/recorder/tests/test_schedule.py",
            "recording_gate",
            rendered="recording",
        ),
        Enforcer(
            f"{RECORDER}.recording",
            "roles/recorder/files/vigie-record",
            "may_record",
            "roles/recorder/molecule/default/tests/test_recorder.py",
            "test_recording_stops_at_opening_and_resumes_at_closing",
            rendered="recording",
        ),
        Enforcer(
            f"{RECORDER}.recording",
            "roles/recorder/files/vigie-record",
            "opening hours: recording paused",
            "tests/lab/test_recording_enforced.py",
            "test_no_segment_is_written_inside_opening_hours",
            rendered="recording",
        ),
    ],
    "Camera.area": [
        # Living areas of collèges are recorded outside opening hours only
        # (CNIL): the model sets `recording.mode` from the area.
        Enforcer(
            f"{RECORDER}.recording.mode",
            "roles/recorder/files/vigie_schedule.py",
            "outside_opening_hours",
            "roles/recorder/tests/test_schedule.py",
            "test_outside_opening_hours_pauses_while_open",
            rendered="recording",
        ),
        Enforcer(
            f"{RECORDER}.recording.mode",
            "roles/recorder/files/vigie-record",
            "wait_for_closing",
            "tests/lab/test_recording_enforced.py",
            "outside_opening_hours",
            rendered="recording",
        ),
    ],
    "Camera.resolution": [
        # The camera is configured through the automation (not in the
        # repository); the recorder checks what it actually records.
        Enforcer(
            f"{RECORDER}.resolution",
            "roles/recorder/files/vigie-recorder-housekeeping",
            "STREAM-BELOW-DECLARED",
            "roles/recorder/tests/test_streams.py",
            "test_a_conforming_stream_passes_and_lower_ones_are_flagged",
            rendered="stream",
        ),
        Enforcer(
            f"{RECORDER}.resolution",
            "roles/monitoring/files/vigie-recorder-metrics",
            "vigie_recorder_stream_below_declared",
            "roles/monitoring/tests/test_recorder_metrics.py",
            "vigie_recorder_stream_below_declared",
        ),
    ],
    "Camera.fps": [
        Enforcer(
            f"{RECORDER}.fps",
            "roles/recorder/files/vigie-recorder-housekeeping",
            "FPS_TOLERANCE",
            "roles/recorder/tests/test_streams.py",
            "test_a_conforming_stream_passes_and_lower_ones_are_flagged",
            rendered="stream",
        ),
        Enforcer(
            f"{RECORDER}.fps",
            "roles/recorder/templates/etc/vigie/recorder/cameras.json.j2",
            "'fps'",
            "roles/recorder/tests/test_streams.py",
            "fps recorded",
            rendered="stream",
        ),
    ],
}

# Components no behaviour check renders, and why their proof stays "the
# component and its test mention the value".
NOT_RENDERED: dict[str, str] = {
    "detector_image/": "the detector container's code, configured by the Pulumi stack from the "
    "desired state, not by a role: its own tests run it",
    "pulumi/": "the Pulumi program, not an Ansible role: its stack tests run it",
    "src/vigie/": "the model or the access service (Python), no rendered file: its tests run it",
    "roles/monitoring/files/vigie-recorder-metrics": "reads the cameras.json the retention and "
    "stream checks render; the metric itself is its unit test's",
}

PENDING: dict[str, tuple[str, list[Enforcer]]] = {}

VALIDATION_ONLY: dict[str, str] = {
    "Agency.epci": "reference to the commune data (police municipale territory)",
    "AlarmSource.cameras": "the alarm source's cameras are of its site (access-policy data)",
    "Authorisation.expires": "paperwork: an expired authorisation stops every deployment",
    "Authorisation.id": "paperwork: names who approves judicial requisitions",
    "Authorisation.requisition_approver": "separation of duties in the data",
    "Camera.id": "host-name collisions",
    "Camera.keyframe_seconds": "the camera's own encoder setting, set at installation: a slow "
    "one is warned of (the live view's start and latency); masked cameras are re-encoded "
    "with 1 s key frames whatever it says (roles/recorder/tests/test_live_command.py)",
    "Camera.purposes": "paperwork: the authorisation's purposes",
    "Camera.recorder": "reference to a recorder",
    "Departement.admin_prefix": "network plan",
    "CentralHost.address": "where Ansible reaches the central host (ansible_host of group central)",
    "WitnessHost.address": "where Ansible reaches the journal's witness (ansible_host of group "
    "witness); the journal it pulls is the central host's",
    "PointOfPresence.id": "fibre topology",
    "Recorder.disk_gb": "sizing",
    "Segment.capacity_mbps": "sizing",
    "Segment.ends": "fibre topology",
    "Site.authorisation": "reference to an authorisation",
    "Site.cameras": "network plan capacity",
    "Site.insee": "references (commune, competent force)",
    "Site.uplink": "fibre topology",
    "<inventory>": "lock file and access-settings checks reported on the file itself",
}
