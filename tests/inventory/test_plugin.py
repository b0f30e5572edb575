"""The Ansible inventory plugin, through the real `ansible-inventory` command.

Golden file: `golden/pilot-list.json` is `ansible-inventory -i inventories/pilot
--list`. After an intended change, regenerate it with
`VIGIE_UPDATE_GOLDEN=1 make test-inventory` and review the diff.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inventory.inventories import BASE, HERE, PILOT, REPO

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
GOLDEN = HERE / "golden" / "pilot-list.json"
MANAGED_VARS = {
    "ansible_host",
    "vigie_site",
    "vigie_site_prefixes",
    "network__vlans",
    "base__ntp_servers",
    "base__admins",
    "base__admin_prefixes",
    "monitoring__admin_prefixes",
    "base__admin_sudo",
    "vigie_duties",
    "network__package_mirror",
}
RECORDER_VARS = {
    "network__routes",
    "recorder__cameras",
    "recorder__camera_prefixes",
    "recorder__storage_path",
    "recorder__purge_threshold_percent",
    "monitoring__recordings_path",
    "recorder__segment_readers",
    "recorder__segment_port",
    "recorder__segment_seconds",
    "recorder__live_path",
    "recorder__live_buffer_path",
    "recorder__live_segment_seconds",
    "recorder__live_playlist_size",
}
DETECTOR_HOST_VARS = {
    "vigie_detectors",
    "network__routes",
    "detector_host__camera_prefixes",
    "detector_host__mqtt_prefixes",
    "detector_host__mqtt_port",
    "detector_host__snapshot_readers",
    "detector_host__snapshot_port",
    "detector_host__snapshot_path",
    "detector_host__snapshot_uid",
}
GATEWAY_VARS = {"vigie_policy", "vigie_firewall_forward_rules"}


def run_inventory(source: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(source), "--list", *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def pilot_list() -> tuple[dict, str]:
    result = run_inventory(PILOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def strip_unsafe(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: strip_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_unsafe(v) for v in value]
    return value


def test_pilot_lists_without_any_warning(pilot_list):
    _data, stderr = pilot_list
    assert stderr.strip() == ""


def test_review_findings_stay_in_validate_not_in_every_ansible_run(pilot_list):
    """A review-only warning (a camera no agency may see on an event) is for whoever
    reviews the inventory: `vigie validate` says it, the plugin does not repeat it."""
    from vigie.loader import check_inventory
    from vigie.rules import REGISTRY

    review_only = {r.id for r in REGISTRY.values() if r.review_only}
    assert review_only
    _inv, diags = check_inventory(PILOT)
    said = {d.rule for d in diags if d.severity == "warning"}
    assert said & review_only, "the pilot has cameras no agency sees on an event"
    _data, stderr = pilot_list
    assert not any(rule in stderr for rule in review_only)


def test_pilot_list_matches_the_golden_file(pilot_list):
    data, _ = pilot_list
    if os.environ.get("VIGIE_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    assert data == json.loads(GOLDEN.read_text())


def test_hosts_groups_and_variables_of_the_contract(pilot_list):
    data, _ = pilot_list
    hostvars = strip_unsafe(data["_meta"]["hostvars"])
    groups = {name: set(g.get("hosts", [])) for name, g in data.items() if name != "_meta"}
    for group in (
        "recorders",
        "detector_hosts",
        "gateways",
        "force_police",
        "force_gendarmerie",
        "site_col_rameau_versailles",
        "commune_78646",
        "epci_247800584",
        "kind_college",
    ):
        assert groups.get(group), f"group {group} missing or empty"
    assert "col-rameau-versailles-rec1" in groups["recorders"]
    assert "col-rameau-versailles-det1" in groups["detector_hosts"]
    assert "col-rameau-versailles-gw" in groups["gateways"]
    # Cameras are not hosts: no play manages them (their data is in the recorders' inputs).
    assert "cameras" not in groups and not any("portail" in h for h in hostvars)
    assert "col-houdan-gw" in groups["force_gendarmerie"]
    for host in groups["recorders"]:
        assert set(hostvars[host]) == MANAGED_VARS | RECORDER_VARS
        assert hostvars[host]["recorder__cameras"], host
    for host in groups["detector_hosts"]:
        assert set(hostvars[host]) == MANAGED_VARS | DETECTOR_HOST_VARS
    for host in groups["gateways"]:
        assert set(hostvars[host]) == MANAGED_VARS | GATEWAY_VARS
    rec = hostvars["col-rameau-versailles-rec1"]
    assert rec["ansible_host"] == next(
        v["address"] for v in rec["network__vlans"] if v["name"] == "management"
    )
    cam = rec["recorder__cameras"][0]
    # docs/CONTRACT.md and INTERFACES.md: what the recorder role takes.
    assert set(cam) == {
        "id",
        "address",
        "rtsp_url",
        "retention_days",
        "bitrate_kbps",
        "fps",
        "keyframe_seconds",
        "resolution",
        "films_public_road",
        "privacy_masks",
        "credential",
        "recording",
    }
    assert set(cam["recording"]) == {"mode", "opening_hours", "timezone", "closures"}
    assert "@" not in cam["rtsp_url"] and cam["credential"].startswith("vault_")
    cour = next(c for c in rec["recorder__cameras"] if c["id"].endswith("-cour"))
    assert cour["recording"]["mode"] == "outside_opening_hours"
    assert cour["recording"]["opening_hours"] == "Mo-Fr 07:30-18:30"
    parvis = next(c for c in rec["recorder__cameras"] if c["id"].endswith("-parvis"))
    assert len(parvis["privacy_masks"]) == 2
    det = hostvars["col-rameau-versailles-det1"]
    analysed = [c for d in det["vigie_detectors"] for c in d["cameras"]]
    assert analysed and all(c.startswith("col-rameau-versailles/") for c in analysed)
    assert "col-rameau-versailles/parvis" not in analysed  # films the public road
    # Remote recording: the commune's cameras are on the datacenter recorder.
    dc = hostvars["dc-guyancourt-rec1"]
    dc_ids = {c["id"] for c in dc["recorder__cameras"]}
    assert "mairie-sartrouville-parvis" in dc_ids
    # ... and the datacenter recorder's own firewall lets it reach them.
    sartrouville_cameras = hostvars["mairie-sartrouville-gw"]["vigie_site_prefixes"]["cameras"]
    assert sartrouville_cameras in dc["recorder__camera_prefixes"]
    policy = hostvars["col-rameau-versailles-gw"]["vigie_policy"]
    assert {"from": "recorders", "to": "cameras", "proto": "tcp", "port": 554} in [
        {k: f[k] for k in ("from", "to", "proto", "port")} for f in policy
    ]
    assert all(f["why"] for f in policy)

    # Separation of duties: no sudo for administrators, the duties stated; updates
    # only from the package mirror.
    assert rec["base__admin_sudo"] is False and set(rec["vigie_duties"]) == {
        "administrators",
        "automation",
        "viewers",
    }
    assert rec["network__package_mirror"] == {"address": "10.78.0.30", "port": 3142, "proto": "tcp"}

    # Default deny: the MQTT flow of detector events opens only where detectors run.
    def ports(gw):
        return {f["port"] for f in hostvars[gw]["vigie_policy"]}

    assert 8883 in ports("col-rameau-versailles-gw") and 8883 not in ports("col-village-trappes-gw")
    # Remote recording: Sartrouville's gateway lets the datacenter recorders pull its cameras.
    dc_recorders = next(
        v["prefix"]
        for v in hostvars["dc-guyancourt-rec1"]["network__vlans"]
        if v["name"] == "recorders"
    )
    assert any(
        f["from"] == dc_recorders and f["to"] == "cameras"
        for f in hostvars["mairie-sartrouville-gw"]["vigie_policy"]
    )


def write_config(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vigie.yml").write_text(text)
    return directory


def test_relative_path_is_relative_to_the_config_file(tmp_path: Path):
    import shutil

    shutil.copytree(BASE, tmp_path / "inventories" / "data")
    lab = write_config(tmp_path / "inventories" / "lab", "plugin: vigie\npath: ../data\n")
    result = run_inventory(lab)  # run from the repository, not from tmp_path
    assert result.returncode == 0, result.stderr
    assert "college-rec1" in json.loads(result.stdout)["_meta"]["hostvars"]


def test_lab_options_path_sites_and_max_cameras(tmp_path: Path):
    lab = write_config(
        tmp_path / "lab",
        f"plugin: vigie\npath: {PILOT}\nsites: [col-rameau-versailles]\nmax_cameras_per_site: 2\n",
    )
    result = run_inventory(lab)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    hosts = set(data["_meta"]["hostvars"])
    assert hosts == {
        "col-rameau-versailles-gw",
        "col-rameau-versailles-rec1",
        "col-rameau-versailles-det1",
        # The département's central services serve whichever sites are kept,
        # and the journal's witness pulls their journal.
        "vigie-central1",
        "vigie-witness1",
    }
    cams = data["_meta"]["hostvars"]["col-rameau-versailles-rec1"]["recorder__cameras"]
    assert [strip_unsafe(c["id"]) for c in cams] == [
        "col-rameau-versailles-portail",
        "col-rameau-versailles-hall",
    ]


def test_constructable_compose_groups_keyed_groups(tmp_path: Path):
    inv = write_config(
        tmp_path / "c",
        f"""plugin: vigie
path: {PILOT}
sites: [col-rameau-versailles, hdd-versailles]
compose:
  vigie_camera_count: recorder__cameras | default([]) | length
groups:
  analysing: vigie_detectors | default([]) | length > 0
keyed_groups:
  - key: vigie_site.kind
    prefix: sitekind
""",
    )
    result = run_inventory(inv)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["_meta"]["hostvars"]["hdd-versailles-rec1"]["vigie_camera_count"] == 6
    assert set(data["analysing"]["hosts"]) == {"col-rameau-versailles-det1", "hdd-versailles-det1"}
    assert "hdd-versailles-gw" in data["sitekind_departmental_building"]["hosts"]


def test_invalid_inventory_fails_with_the_validator_messages(tmp_path: Path):
    data_dir = tmp_path / "data"
    import shutil

    shutil.copytree(BASE, data_dir)
    site = data_dir / "sites" / "college.yml"
    site.write_text(site.read_text().replace("{retention_days: 7}", "{retention_days: 40}"))
    inv = write_config(tmp_path / "inv", f"plugin: vigie\npath: {data_dir}\n")
    result = run_inventory(inv)
    assert result.returncode != 0
    assert f"{data_dir}/sites/college.yml:9: LEGAL-RETENTION-MAX" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_site_in_options_is_an_error(tmp_path: Path):
    inv = write_config(tmp_path / "inv", f"plugin: vigie\npath: {PILOT}\nsites: [nowhere]\n")
    result = run_inventory(inv)
    assert result.returncode != 0 and "nowhere" in result.stderr


def test_verify_file_accepts_only_its_own_file_names(tmp_path: Path):
    spec = importlib.util.spec_from_file_location(
        "vigie_plugin", REPO / "plugins" / "inventory" / "vigie.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plugin = module.InventoryModule()
    for name, accepted in (
        ("vigie.yml", True),
        ("vigie.yaml", True),
        ("hosts.yml", False),
        ("departement.yml", False),
    ):
        path = tmp_path / name
        path.write_text("plugin: vigie\n")
        assert bool(plugin.verify_file(str(path))) is accepted, name
