"""The contract test: every field a rule checks has a consumer that enforces it.

The checked fields are not listed by hand: each rule of the registry runs on its
own invalid data case (tests/inventory/cases/<RULE>/invalid) and the fields its
findings point at are collected. Each must be in `contract_map.ENFORCED` (a
component acting on it on a running system and the test proving it),
`PENDING` (its consumer is owed: the suite fails while any field waits there)
or `VALIDATION_ONLY`. A new rule on a new field fails here until someone says
who enforces it. Role consumers are proven by rendering them
(test_enforcement.py); the argument_specs by test_argument_specs.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.contract.contract_map import (
    ENFORCED,
    NOT_RENDERED,
    PENDING,
    VALIDATION_ONLY,
    Enforcer,
)
from tests.contract.test_enforcement import CHECKS
from tests.inventory.inventories import CASES, PILOT, TODAY, overlay
from vigie.loader import check_inventory, load_inventory
from vigie.rules import REGISTRY, Context

REPO = Path(__file__).resolve().parents[2]


def checked_fields() -> dict[str, set[str]]:
    """`Model.field` -> the rules whose findings point at it, from the rules' invalid cases."""
    fields: dict[str, set[str]] = {}
    for rule_id, rule in REGISTRY.items():
        layer = CASES / rule_id / "invalid"
        assert layer.is_dir(), f"{rule_id} has no invalid case"
        with tempfile.TemporaryDirectory() as tmp:
            inv, _diags = check_inventory(overlay(Path(tmp) / "inv", layer), today=TODAY)
            assert inv is not None, rule_id
            for finding in rule.check(Context(inv, TODAY)):
                if finding.obj is None or finding.field is None:
                    key = "<inventory>"
                else:
                    key = f"{type(finding.obj).__name__}.{finding.field}"
                fields.setdefault(key, set()).add(rule_id)
    return fields


CHECKED = checked_fields()


def test_every_checked_field_has_a_declared_consumer():
    declared = set(ENFORCED) | set(PENDING) | set(VALIDATION_ONLY)
    missing = {f: sorted(rules) for f, rules in CHECKED.items() if f not in declared}
    assert missing == {}, (
        "fields checked by rules with no enforcing consumer declared in "
        f"tests/contract/contract_map.py: {missing}"
    )


def test_the_map_names_no_field_that_no_rule_checks():
    declared = set(ENFORCED) | set(PENDING) | set(VALIDATION_ONLY)
    assert declared - set(CHECKED) == set()


def holds(e: Enforcer) -> list[str]:
    """What is wrong with an enforcer (empty: it holds). A rendered component is
    proven by its behaviour check; the others by mentioning the value."""
    problems = []
    pairs = [(e.test, e.test_token)]
    if e.rendered:
        if e.rendered not in CHECKS:
            problems.append(f"{e.rendered!r} is no behaviour check of test_enforcement.py")
        if not (REPO / e.component).is_file():
            problems.append(f"{e.component} does not exist")
    elif any(e.component.startswith(prefix) for prefix in NOT_RENDERED):
        pairs.append((e.component, e.token))
    else:
        problems.append(f"{e.component}: neither rendered by a check nor listed in NOT_RENDERED")
    for path, token in pairs:
        file = REPO / path
        if not file.is_file():
            problems.append(f"{path} does not exist")
        elif token not in file.read_text(encoding="utf-8", errors="replace"):
            problems.append(f"{path} does not mention {token!r}")
    return problems


@pytest.mark.parametrize("field", sorted(ENFORCED))
def test_enforced_fields_reach_a_component_and_a_test(field: str):
    for enforcer in ENFORCED[field]:
        assert holds(enforcer) == [], (field, enforcer.handed_over)


def test_every_role_component_is_proven_by_rendering():
    # A component inside roles/ has a behaviour check, except those NOT_RENDERED names.
    substring_only = [
        e.component
        for enforcers in ENFORCED.values()
        for e in enforcers
        if e.component.startswith("roles/") and not e.rendered and e.component not in NOT_RENDERED
    ]
    assert substring_only == []


def test_an_enforcer_without_a_check_or_a_reason_fails():
    unproven = Enforcer(
        "x",
        "roles/recorder/files/vigie-record",
        "may_record",
        "tests/contract/test_contract.py",
        "x",
    )
    assert holds(unproven) == [
        "roles/recorder/files/vigie-record: neither rendered by a check nor listed in NOT_RENDERED"
    ]
    assert holds(
        Enforcer(
            "x",
            "roles/recorder/files/vigie-record",
            "",
            "tests/contract/test_contract.py",
            "x",
            "nope",
        )
    )


def test_no_checked_field_waits_for_its_enforcer():
    # Every checked field is enforced at run time or validation-only; a field
    # parked in PENDING (its consumer still owed) fails the suite.
    owed = {field: owner for field, (owner, _enforcers) in PENDING.items()}
    assert owed == {}, f"checked fields with no enforcing consumer yet: {owed}"


@pytest.fixture(scope="module")
def pilot_state():
    from vigie.desired import DesiredState

    return DesiredState.build(load_inventory(PILOT))


def test_the_desired_state_hands_the_values_over(pilot_state):
    """The handed-over keys exist in what the pilot's consumers receive."""
    recorder = next(h for h in pilot_state.hosts.values() if h.kind == "recorder")
    camera = recorder.vars["recorder__cameras"][0]
    for key in ("retention_days", "credential", "privacy_masks", "recording", "fps", "resolution"):
        assert key in camera, key
    assert {"mode", "opening_hours", "closures"} <= set(camera["recording"])
    detector = next(iter(pilot_state.detectors.values()))["cameras"][0]
    for key in ("snapshot_retention_days", "analysis_stream", "credential", "opening_hours"):
        assert key in detector, key
    assert detector["detection"]["classes"]


def test_automation_controller_is_the_only_way_to_a_camera_s_web_interface(pilot_state):
    dept = pilot_state.inventory.departement
    assert dept.automation_controller
    for gateway, rules in pilot_state.firewall.items():
        site = pilot_state.hosts[gateway].site
        cameras = str(pilot_state.network.sites[site].prefixes["cameras"])
        to_cameras_443 = [r for r in rules if r["daddr"] == cameras and r.get("port") == 443]
        assert [r["saddr"] for r in to_cameras_443] == [f"{dept.automation_controller}/32"]
        admin = str(pilot_state.network.admin_prefix)
        # The administration network reaches no camera at all.
        assert not [r for r in rules if r["saddr"] == admin and r["daddr"] == cameras], gateway
