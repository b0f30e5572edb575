"""Template syntax written in an inventory data file is never evaluated.

The plugin marks as trusted only strings that cannot be templates (no `{`,
no `#`), so that `--list` prints them plainly like a static inventory does;
these tests check that a value carrying template syntax still stays inert, in
`--list` and in a real `ansible-playbook` run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.inventory.inventories import BASE, REPO

BIN = Path(sys.executable).parent


def attack_of(marker: Path) -> str:
    return f"{{{{ lookup('ansible.builtin.pipe', 'touch {marker}') }}}}"


def hostile_inventory(tmp_path: Path, marker: Path) -> Path:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(BASE, data)
    site = data / "sites" / "college.yml"
    attack = attack_of(marker)
    text = site.read_text(encoding="utf-8")
    text = text.replace("name: Collège de test", f'name: "Collège {attack}"')
    text = text.replace(
        "recorders: [{id: 1, disk_gb: 1000}]",
        "recorders: [{id: 1, disk_gb: 1000, storage_path: '#jinja2:trim_blocks:False /srv'}]",
    )
    assert attack in text and "#jinja2" in text
    site.write_text(text, encoding="utf-8")
    (data / "vigie.yml").write_text("plugin: vigie\n", encoding="utf-8")
    return data


def run(*cmd: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_list_keeps_template_syntax_untrusted_and_trusts_inert_strings(tmp_path: Path):
    marker = tmp_path / "evaluated"
    inv = hostile_inventory(tmp_path, marker)
    result = run(str(BIN / "ansible-inventory"), "-i", str(inv), "--list")
    assert result.returncode == 0, result.stderr
    gw = json.loads(result.stdout)["_meta"]["hostvars"]["college-gw"]
    name = gw["vigie_site"]["name"]
    assert isinstance(name, dict) and set(name) == {"__ansible_unsafe"}
    assert "lookup(" in name["__ansible_unsafe"]
    # Inert strings are plain, as in a static YAML inventory.
    assert gw["vigie_site"]["id"] == "college"
    assert gw["vigie_policy"][0]["from"] == "recorders"
    assert not marker.exists()


def test_playbook_prints_template_syntax_literally(tmp_path: Path):
    marker = tmp_path / "evaluated"
    inv = hostile_inventory(tmp_path, marker)
    play = tmp_path / "play.yml"
    play.write_text(
        """- name: Show what a play sees
  hosts: college-rec1
  gather_facts: false
  tasks:
    - name: Site name and the recorder's storage path
      ansible.builtin.debug:
        msg: "NAME={{ vigie_site.name }} PATH={{ recorder__storage_path }}"
""",
        encoding="utf-8",
    )
    result = run(str(BIN / "ansible-playbook"), "-i", str(inv), str(play))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"NAME=Collège {attack_of(marker)}" in result.stdout
    assert "PATH=#jinja2:trim_blocks:False /srv" in result.stdout
    assert not marker.exists()
