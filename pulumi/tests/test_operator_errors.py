"""Operator mistakes stop the program with `path:line: RULE-ID: message`, no traceback."""

import re
import shutil

import pytest
from pulumi_stack_harness import run_stack
from vigie_stack.config import REPO_ROOT

import pulumi


def test_a_broken_inventory_is_reported_with_file_line_and_rule(tmp_path):
    inventory = tmp_path / "pilot"
    shutil.copytree(REPO_ROOT / "inventories" / "pilot", inventory)
    site = inventory / "sites" / "col-houdan.yml"
    text = site.read_text()
    line = text[: text.index("retention_days: 7")].count("\n") + 1
    site.write_text(text.replace("retention_days: 7", "retention_days: 45", 1))
    with pytest.raises(pulumi.RunError) as err:
        run_stack("pilot", {}, inventory=str(inventory))
    lines = str(err.value).splitlines()
    assert any(x.startswith(f"{site}:{line}: ") for x in lines), lines
    assert all(re.match(r"^\S+:\d+: [A-Z0-9-]+: ", x) for x in lines), lines


def test_fleet_sizing_in_a_stack_file_is_refused_with_where_it_moved():
    with pytest.raises(pulumi.RunError) as err:
        run_stack("pilot", {}, camerasPerCore=50)
    assert "vigie:camerasPerCore: STACK-MOVED:" in str(err.value)
    assert "cameras_per_core" in str(err.value)


def test_a_leftover_mqtt_password_is_refused_without_showing_it():
    """Detectors authenticate with their host's certificate only: a stack still
    holding the retired secret is told to remove it (the value is never printed)."""
    with pytest.raises(pulumi.RunError) as err:
        run_stack("pilot", {}, mqttPassword="leftover-secret-value")
    assert "vigie:mqttPassword: STACK-RETIRED: " in str(err.value)
    assert "pulumi config rm vigie:mqttPassword" in str(err.value)
    assert "leftover-secret-value" not in str(err.value)


@pytest.mark.parametrize("key", ["host", "port"])
def test_a_broker_address_in_a_stack_file_is_refused_with_where_it_moved(key):
    """The broker is the model's (departement.central, its MQTT port): a stack that
    still names one is told where it lives now, not silently overridden."""
    mqtt = {"username": "u", "ca_file": "inventories/pilot/pki/mqtt-ca.crt", key: "x"}
    with pytest.raises(pulumi.RunError) as err:
        run_stack("pilot", {}, mqtt=mqtt)
    assert f"vigie:mqtt.{key}: STACK-MOVED: " in str(err.value)


def test_detectors_without_a_central_host_are_refused(tmp_path):
    inventory = tmp_path / "pilot"
    shutil.copytree(REPO_ROOT / "inventories" / "pilot", inventory)
    dept = inventory / "departement.yml"
    text = dept.read_text()
    # No central host, hence no witness either (it pulls the central host's journal).
    without = text.replace("  central:\n    - {id: 1, address: 10.78.0.40}\n", "")
    without = without.replace(
        "  witnesses:\n    - {id: 1, address: 10.78.0.45, name: dpo-78}\n", ""
    )
    dept.write_text(without)
    assert "central:" not in without and "witnesses:" not in without
    with pytest.raises(pulumi.RunError) as err:
        run_stack("pilot", {}, inventory=str(inventory))
    assert "STACK-NO-BROKER" in str(err.value)
