"""Each managed host's variables as Ansible resolves them, and the roles applied to it.

The inventory comes from the real `ansible-inventory --list` (the vigie plugin,
with the inventory's and the playbooks' group_vars merged by Ansible); the roles
from playbooks/*.yml (play `hosts` patterns against the inventory's groups,
`roles:` entries and `include_role` tasks, their `when` evaluated). A role sees
the defaults of every role of its play, then the host's variables, then the
play's and the role entry's `vars`, as in Ansible's precedence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Ansible reads its configuration when first imported.
os.environ.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))

from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.plugins.loader import init_plugin_loader  # noqa: E402
from ansible.template import Templar, trust_as_template  # noqa: E402

# Filters and lookups of the collections (ansible.utils.ipaddr, ...), as the CLI does.
init_plugin_loader()
ROLES = REPO / "roles"
PLAYBOOKS = REPO / "playbooks"
BIN = Path(sys.executable).parent
# Inventory source -> the vigie data its model is read from.
INVENTORIES = {
    "pilot": (REPO / "inventories" / "pilot", REPO / "inventories" / "pilot"),
    "production": (REPO / "inventories" / "production", REPO / "inventories" / "production"),
    "lab": (REPO / "inventories" / "lab", REPO / "inventories" / "pilot"),
}
INCLUDE_ROLE = {
    "include_role",
    "import_role",
    "ansible.builtin.include_role",
    "ansible.builtin.import_role",
}


@dataclass(frozen=True)
class Application:
    """One role applied to one host by one play."""

    playbook: str
    role: str
    play_roles: tuple[str, ...]  # every role of the play: their defaults are public
    vars: dict = field(hash=False)  # play vars, then the role entry's vars


@dataclass
class Inventory:
    name: str
    data: Path
    hostvars: dict[str, dict]
    groups: dict[str, list[str]]

    def group_names(self, host: str) -> list[str]:
        return sorted(g for g, hosts in self.groups.items() if host in hosts and g != "all")


def _untag(value):
    """JSON from ansible-inventory back to variables: values the plugin marked
    unsafe stay plain (never templated); the others may be templates."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if isinstance(value, str):
        return trust_as_template(value)
    return value


def _groups(listing: dict) -> dict[str, list[str]]:
    def hosts(name: str) -> set[str]:
        group = listing.get(name, {})
        found = set(group.get("hosts", []))
        for child in group.get("children", []):
            found |= hosts(child)
        return found

    groups = {name: sorted(hosts(name)) for name in listing if name != "_meta"}
    groups["all"] = sorted(listing["_meta"]["hostvars"])
    return groups


@cache
def inventory(name: str) -> Inventory:
    source, data = INVENTORIES[name]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(
        [
            str(BIN / "ansible-inventory"),
            "-i",
            str(source),
            "--list",
            "--playbook-dir",
            str(PLAYBOOKS),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    listing = json.loads(result.stdout)
    hostvars = {h: _untag(v) for h, v in listing["_meta"]["hostvars"].items()}
    return Inventory(name, data, hostvars, _groups(listing))


def resolve(pattern: str, inv: Inventory) -> list[str]:
    """Hosts of a play pattern: names joined by ':' or ',', '&' intersects, '!' excludes.
    Wildcards and regexes are not used by the playbooks, so not supported."""
    selected: set[str] = set()
    for term in pattern.replace(",", ":").split(":"):
        op, name = (term[0], term[1:]) if term[:1] in "&!" else ("", term)
        if name in inv.groups:
            hosts = set(inv.groups[name])
        elif name in inv.hostvars:
            hosts = {name}
        else:
            hosts = set()  # as Ansible: a pattern matching nothing is a play without hosts
        selected = (
            selected & hosts if op == "&" else selected - hosts if op == "!" else selected | hosts
        )
    return sorted(selected)


def _role_entries(play: dict) -> list[tuple[str, dict, object]]:
    """(role, vars, when) of a play's `roles:` and include/import_role tasks."""
    entries = []
    for entry in play.get("roles", []):
        entry = {"role": entry} if isinstance(entry, str) else entry
        name = entry.get("role") or entry["name"]
        entries.append((name, entry.get("vars", {}), entry.get("when")))
    for task in play.get("pre_tasks", []) + play.get("tasks", []) + play.get("post_tasks", []):
        for key in INCLUDE_ROLE & set(task):
            entries.append((task[key]["name"], task.get("vars", {}), task.get("when")))
    return entries


_APPLIED: dict[str, dict[str, list[Application]]] = {}


def applications(inv: Inventory) -> dict[str, list[Application]]:
    """host -> the roles every playbook applies to it (a `when` false on that host: not applied)."""
    if inv.name not in _APPLIED:
        _APPLIED[inv.name] = _applications(inv)
    return _APPLIED[inv.name]


def _applications(inv: Inventory) -> dict[str, list[Application]]:
    found: dict[str, list[Application]] = {}
    for path in sorted(PLAYBOOKS.glob("*.yml")):
        for play in DataLoader().load_from_file(str(path), trusted_as_template=True):
            if "hosts" not in play:
                continue
            entries = _role_entries(play)
            play_roles = tuple(name for name, _v, _w in entries)
            for host in resolve(play["hosts"], inv):
                for name, entry_vars, when in entries:
                    app = Application(
                        path.name, name, play_roles, {**play.get("vars", {}), **entry_vars}
                    )
                    if when is None or templar(inv, host, app).evaluate_conditional(
                        trust_as_template(when) if isinstance(when, str) else when
                    ):
                        found.setdefault(host, []).append(app)
    return found


@cache
def role_defaults(role_dir: Path) -> dict:
    path = role_dir / "defaults" / "main.yml"
    return (
        DataLoader().load_from_file(str(path), trusted_as_template=True) or {}
        if path.is_file()
        else {}
    )


def variables(inv: Inventory, host: str, app: Application, roles: Path = ROLES) -> dict:
    """What the role sees on that host, before templating."""
    merged: dict = {}
    for name in app.play_roles:
        merged.update(role_defaults(roles / name))
    merged.update(inv.hostvars[host])
    merged.update(app.vars)
    merged.update(stand_ins(inv, merged))
    merged.update(
        inventory_hostname=host,
        inventory_hostname_short=host.split(".")[0],
        group_names=inv.group_names(host),
        groups=inv.groups,
        playbook_dir=str(PLAYBOOKS),
        inventory_dir=str(INVENTORIES[inv.name][0]),
        ansible_check_mode=False,
        ansible_managed="Ansible managed",
        role_path=str(roles / app.role),
    )
    return merged


def templar(inv: Inventory, host: str, app: Application, roles: Path = ROLES) -> Templar:
    return Templar(loader=DataLoader(), variables=variables(inv, host, app, roles))


@cache
def _lab_state() -> Path:
    """A stand-in for `.lab/state.json`, which `make lab` writes (the controller's
    address on each segment; the lab's group_vars look it up)."""
    folder = Path(tempfile.mkdtemp(prefix="vigie-contract-lab-"))
    (folder / "state.json").write_text(
        json.dumps({"segments": [{"controller_address": "192.0.2.10"}]})
    )
    return folder


def stand_ins(inv: Inventory, merged: dict) -> dict:
    """What a real run gets from outside the repository: the cameras' secrets
    from ansible-vault (every credential the inventory names), the lab's state."""
    extra = {}
    if "vigie_camera_credentials" not in merged:
        names = {
            camera.get("credential")
            for hv in inv.hostvars.values()
            for camera in hv.get("recorder__cameras", [])
        } - {None}
        extra["vigie_camera_credentials"] = {
            n: {"username": f"user-{n}", "password": "secret"} for n in names
        }
    if "lab__dir" in merged:
        extra["lab__dir"] = str(_lab_state())
    return extra
