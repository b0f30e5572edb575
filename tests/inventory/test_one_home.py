"""Every model-owned port and path has one home, `vigie.desired.constants`: changed
there, the new value reaches every consumer of the pilot's desired state (the
recorders', detector hosts' and central's role inputs, the gateways' forward rules,
the Pulumi program's resources under Pulumi's mocks). A consumer keeping its own
literal keeps the old value, and fails here."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_stack_harness import run_stack
from vigie_stack.detector_config import CONFIG_FILE
from vigie_stack.mocked_run import reveal

from tests.inventory.inventories import PILOT, TODAY
from vigie.desired import DesiredState, constants
from vigie.loader import load_inventory

ROOT = Path(__file__).resolve().parents[2]

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/image:Image"
# Values found nowhere in the pilot's desired state (checked below).
UNUSUAL: dict[str, Any] = {
    "RTSP_PORT": 47554,
    "SEGMENT_PORT": 47088,
    "SNAPSHOT_PORT": 47089,
    "MQTT_TLS_PORT": 47883,
    "LIVE_PATH": "/vigie-test-live",
    "LIVE_BUFFER_PATH": "/run/vigie-test-buffer",
    "SNAPSHOTS_HOST_PATH": "/srv/vigie-test-snapshots",
    "SEGMENT_SECONDS": 4747,
    "DETECTOR_UID": 47101,
}
# Who must carry each value.
CONSUMERS = {
    "RTSP_PORT": {"recorder", "detector_host", "pulumi"},
    "SEGMENT_PORT": {"recorder", "gateways", "central", "handover"},
    "SNAPSHOT_PORT": {"detector_host", "gateways", "central", "handover"},
    "MQTT_TLS_PORT": {"detector_host", "gateways", "central", "pulumi", "handover"},
    "LIVE_PATH": {"central", "recorder", "handover"},
    "LIVE_BUFFER_PATH": {"recorder"},
    "SNAPSHOTS_HOST_PATH": {"detector_host", "pulumi"},
    # The hand-over's: tests/inventory/test_hand_over.py (300 is also a token lifetime).
    "SEGMENT_SECONDS": {"recorder"},
    "DETECTOR_UID": {"detector_host", "pulumi"},
}
# Known shadows outside this test's reach: strict, so the fix turns them red here.
SHADOWS: dict[tuple[str, str], str] = {}  # (constant, consumer) known to shadow it


def leaves(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from leaves(v)
    else:
        yield value


def carries(inputs: Any, wanted: Any) -> bool:
    """`wanted` is a leaf, or inside a string leaf (a URL, a rendered file)."""
    text = re.escape(str(wanted))
    # A number is not part of a longer one; a path not the tail of a longer name
    # (`/live` is not inside `/run/vigie-recorder/live`, it is in `:8088/live/`).
    pattern = re.compile(
        rf"(?<!\d){text}(?!\d)" if isinstance(wanted, int) else rf"(?<![A-Za-z-]){text}"
    )
    return any(
        leaf == wanted or (isinstance(leaf, str) and pattern.search(leaf))
        for leaf in leaves(inputs)
    )


def pilot_credentials(inv) -> dict[str, dict[str, str]]:
    from vigie_stack.detector_config import credential_name

    names = {credential_name(c, inv.sites[c.site_id]) for c in inv.cameras()}
    return {n: {"username": "u", "password": "p"} for n in names}


def pulumi_inputs(inv) -> list[Any]:
    """What the program declares from the desired state: the host side of each
    detector container's mounts, the broker and cameras of the configuration its
    writer uploads (revealed from the secret), the detector image's build arguments.
    The container's side of its mounts is the detector image's own (detector_config)."""
    recorded = run_stack("pilot", pilot_credentials(inv))
    out: list[Any] = []
    for r in recorded.of_type(CONTAINER):
        inputs = reveal(r.inputs)
        if inputs.get("start") is False:
            files = {u["file"]: u["content"] for u in inputs["uploads"]}
            doc = yaml.safe_load(files[CONFIG_FILE])
            out.append({"mqtt": doc["mqtt"], "cameras": doc["cameras"]})
        else:
            out.append([m["source"] for m in inputs["mounts"] if m["type"] == "bind"])
    assert out, "the pilot declares detectors"
    images = [reveal(r.inputs)["build"]["args"] for r in recorded.of_type(IMAGE)]
    assert images, "the pilot builds the detector image"
    return out + images


def role_hand_over(state: DesiredState, folder: Path) -> dict[str, Any]:
    """The access service's hand-over as roles/access_gateway writes it (its task's
    `content`, rendered by Ansible's Templar) and as vigie-access reads it back."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    from vigie_access import handover

    tasks = yaml.safe_load((ROOT / "roles/access_gateway/tasks/main.yml").read_text())
    copy = next(
        t["ansible.builtin.copy"]
        for t in tasks
        if str(t.get("ansible.builtin.copy", {}).get("dest", "")).endswith("/handover.json")
    )
    central = state.group_vars[constants.CENTRAL_GROUP]
    templar = Templar(loader=DataLoader(), variables=central)
    path = folder / "handover.json"
    path.write_text(templar.template(trust_as_template(copy["content"])))
    return handover.load(path).model_dump()


def consumers(state: DesiredState, with_pulumi: bool) -> dict[str, Any]:
    def of(kind: str, group: str) -> list[dict]:
        hosts = [h for h in state.hosts.values() if h.kind == kind]
        assert hosts, kind
        return [{**state.group_vars[group], **h.vars} for h in hosts]

    out = {
        "recorder": of("recorder", "recorders"),
        "detector_host": of("detector_host", "detector_hosts"),
        "gateways": state.firewall,
        "central": state.group_vars[constants.CENTRAL_GROUP],
    }
    with tempfile.TemporaryDirectory() as folder:
        out["handover"] = role_hand_over(state, Path(folder))
    if with_pulumi:
        out["pulumi"] = pulumi_inputs(state.inventory)
    return out


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return consumers(DesiredState.build(load_inventory(PILOT, today=TODAY)), True)


CASES = [
    pytest.param(
        name,
        who,
        marks=[pytest.mark.xfail(strict=True, reason=SHADOWS[(name, who)])]
        if (name, who) in SHADOWS
        else [],
        id=f"{name}-{who}",
    )
    for name, whom in CONSUMERS.items()
    for who in sorted(whom)
]


@pytest.mark.parametrize(("name", "who"), CASES)
def test_a_changed_value_reaches_the_consumer(name, who, baseline, monkeypatch):
    wanted = UNUSUAL[name]
    assert not carries(baseline[who], wanted), "the unusual value must be unusual"
    assert carries(baseline[who], getattr(constants, name)), "the consumer has it today"
    old = getattr(constants, name)
    monkeypatch.setattr(constants, name, wanted)
    state = DesiredState.build(load_inventory(PILOT, today=TODAY))
    given = consumers(state, who == "pulumi")[who]
    assert carries(given, wanted), f"{who} does not take {name} from the model"
    assert not carries(given, old), f"{who} still has its own {name}"


def test_the_broker_the_detectors_are_told_is_the_one_roles_broker_runs():
    """The Pulumi program's broker is the desired state's: the central host's address,
    which the broker's certificate names (playbooks/central.yml), on broker__port."""
    state = DesiredState.build(load_inventory(PILOT, today=TODAY))
    central = [h for h in state.hosts.values() if h.kind == "central"]
    assert state.broker == {
        "host": central[0].vars["ansible_host"],
        "port": state.group_vars[constants.CENTRAL_GROUP]["broker__port"],
    }
    configs = [c for c in pulumi_inputs(state.inventory) if isinstance(c, dict) and "mqtt" in c]
    assert {(c["mqtt"]["host"], c["mqtt"]["port"]) for c in configs} == {
        (state.broker["host"], constants.MQTT_TLS_PORT)
    }


ROLES = ROOT / "roles"
# Role inputs carrying a model-owned value: the plugin always sets them, so the role
# requires them and keeps no default of its own (which would hide a missing input).
REQUIRED = {
    "recorder": [
        "recorder__segment_port",
        "recorder__segment_seconds",
        "recorder__live_buffer_path",
        "recorder__storage_path",
        "recorder__purge_threshold_percent",
    ],
    "broker": ["broker__port"],
    "detector_host": [
        "detector_host__snapshot_port",
        "detector_host__snapshot_path",
        "detector_host__snapshot_uid",
        "detector_host__mqtt_port",
    ],
    "access_gateway": ["access_gateway__handover"],
}


@pytest.mark.parametrize("role", sorted(REQUIRED))
def test_site_roles_keep_no_default_of_a_model_owned_value(role):
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    for key in REQUIRED[role]:
        assert key not in defaults, key
        assert options[key].get("required") is True and "default" not in options[key], key


def test_the_access_gateway_keeps_no_model_owned_value():
    """Ports, paths and URLs the model owns reach vigie-access in its hand-over only:
    neither the role nor the service's configuration has a literal of its own."""
    from vigie_access.config import Config

    role = ROLES / "access_gateway"
    texts = {
        path: path.read_text()
        for path in [
            role / "defaults" / "main.yml",
            role / "meta" / "argument_specs.yml",
            *sorted((role / "templates").glob("*.j2")),
        ]
    }
    texts["vigie_access.config"] = json.dumps(Config.model_json_schema())
    for name in ("SEGMENT_PORT", "SNAPSHOT_PORT", "MQTT_TLS_PORT", "LIVE_PATH"):
        for where, text in texts.items():
            # The operators' `/live/<grant>/` is the gateway's own URL, not the recorders'.
            if name == "LIVE_PATH" and str(where).endswith("nginx.conf.j2"):
                continue
            assert not carries([text], getattr(constants, name)), (name, str(where))
