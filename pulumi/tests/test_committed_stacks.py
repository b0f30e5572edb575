"""The committed stacks (Pulumi.pilot.yaml, Pulumi.production.yaml) as written, under mocks.

Only the secrets are the tests' own. Both stacks must talk TLS MQTT with a CA
to the model's broker (the site firewalls open the model's MQTT port towards it
and nothing else) and deploy
through a non-root account.
"""

import pytest
import yaml
from pulumi_stack_harness import run_stack
from vigie_stack.config import REPO_ROOT
from vigie_stack.detector_config import (
    CA_FILE,
    CERT_FILE,
    CONFIG_FILE,
    KEY_FILE,
    credential_name,
)
from vigie_stack.mocked_run import reveal

from vigie.desired import MQTT_TLS_PORT
from vigie.loader import load_inventory

CONTAINER = "docker:index/container:Container"
STACKS = ("pilot", "production")


@pytest.fixture(scope="module", params=STACKS)
def stack(request):
    inventory = load_inventory(REPO_ROOT / "inventories" / request.param)
    names = {credential_name(c, inventory.sites[c.site_id]) for c in inventory.cameras()}
    creds = {n: {"username": "viewer", "password": "pw"} for n in names}
    return request.param, run_stack(request.param, creds)


def uploads(recorded):
    for r in recorded.of_type(CONTAINER):
        if r.inputs.get("start") is False:
            yield r, {u["file"]: u["content"] for u in reveal(r.inputs["uploads"])}


def test_every_detector_talks_tls_mqtt_with_the_stack_ca(stack):
    name, recorded = stack
    ca = (REPO_ROOT / "inventories" / name / "pki" / "mqtt-ca.crt").read_text()
    central = load_inventory(REPO_ROOT / "inventories" / name).departement.central[0].address
    found = list(uploads(recorded))
    assert found, "the stack declares detectors"
    for writer, files in found:
        config = yaml.safe_load(files[CONFIG_FILE])
        assert config["mqtt"]["port"] == MQTT_TLS_PORT, writer.name
        assert config["mqtt"]["host"] == central, writer.name
        assert config["mqtt"]["ca_file"] == CA_FILE, writer.name
        assert files[CA_FILE] == ca and "BEGIN CERTIFICATE" in ca, writer.name


def test_no_detector_carries_an_mqtt_password(stack):
    """Client certificate only (the broker's use_identity_as_username): each container
    gets its configuration and the broker's CA, no password file; the configuration
    names the certificate and its key, and no password."""
    _name, recorded = stack
    found = list(uploads(recorded))
    assert found, "the stack declares detectors"
    for writer, files in found:
        assert set(files) == {CONFIG_FILE, CA_FILE}, writer.name
        mqtt = yaml.safe_load(files[CONFIG_FILE])["mqtt"]
        assert not [k for k in mqtt if "password" in k], writer.name
        assert (mqtt["cert_file"], mqtt["key_file"]) == (CERT_FILE, KEY_FILE), writer.name
    for r in recorded.of_type(CONTAINER):
        settings = reveal(r.inputs)
        assert not settings.get("envs"), r.name
        assert not [m for m in settings.get("mounts") or [] if "password" in m["target"]], r.name


def test_docker_hosts_are_reached_through_a_non_root_account(stack):
    _name, recorded = stack
    providers = recorded.of_type("pulumi:providers:docker")
    assert providers
    for p in providers:
        host = p.inputs["host"]
        assert host.startswith("ssh://") and not host.startswith("ssh://root@"), host


def test_the_committed_stacks_carry_no_fleet_sizing():
    """Cores and cameras per core are the inventory's: one answer for plugin and stack."""
    for name in STACKS:
        config = yaml.safe_load((REPO_ROOT / f"Pulumi.{name}.yaml").read_text())["config"]
        assert not {"vigie:camerasPerCore", "vigie:defaultCores", "vigie:cores"} & set(config)
