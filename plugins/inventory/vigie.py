"""Ansible inventory plugin: the vigie model as hosts, groups and variables.

Host and group variables are the roles' inputs (`<role>__name`), except a few
model variables that something other than a role's argument spec reads:

- `vigie_detectors` (detector hosts): the fleet plan's containers and the streams
  they read; roles/detector_host derives its snapshot containers from it, the
  Pulumi tests check the program deploys the same containers;
- `vigie_firewall_forward_rules` (gateways): the access policy as firewall rules,
  put in `firewall__forward_rules` by playbooks/group_vars/gateways.yml;
- `vigie_site`, `vigie_site_prefixes` (`site_<site>` groups): playbooks/summary.yml
  names the sites done by `vigie_site.id`, the lab's group_vars add the lab
  machine to `vigie_site_prefixes.admin`, the contract tests read the camera prefix;
- `vigie_policy` (gateways), `vigie_duties` (every managed host): what auditors
  read in the inventory, the flows by network name with their reason and the
  separation of duties (docs/inventory.md, docs/CONTRACT.md).

The aliases of role inputs (the VLANs, cameras, recorder, NTP servers and
administrators under `vigie_` names) are gone: read `network__vlans`,
`recorder__cameras`, `recorder__storage_path`, `base__ntp_servers`, `base__admins`.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: vigie
short_description: hosts, groups and variables of the vigie video-protection inventory
description:
  - Loads and checks the declarative vigie inventory (sites, fibre, cameras, agencies,
    authorisations) with the C(vigie) Python package, then adds recorders, detector hosts,
    and gateways with their groups and role inputs, serialised from the desired state
    C(vigie.desired.DesiredState) (docs/CONTRACT.md). Cameras are not hosts (no play manages
    them); their data is in the inputs of the hosts that record or analyse them.
  - The Pulumi program reads the same file through the same options parser (C(vigie.options)).
  - "An invalid inventory fails with the validator's C(path:line: RULE-ID: message) lines."
  - The configuration file must be named C(vigie.yml) or C(vigie.yaml).
  - Strings that could hold template syntax (any C({) or C(#)) stay untrusted, so a template
    written in a data file is never rendered; the others render to themselves and are marked
    trusted, as a static YAML inventory's strings are.
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: Marks this file as a vigie inventory source.
    required: true
    choices: ['vigie']
  path:
    description:
      - Directory of the inventory data files. Relative paths are relative to the directory
        of this file (not to the current directory), C(~) is expanded.
      - Defaults to the directory of this file.
    type: str
  sites:
    description: Only these site ids (all sites when unset). Unknown ids are an error.
    type: list
    elements: str
  max_cameras_per_site:
    description: Keep only the first N cameras of each site (a lab simulates a few cameras).
    type: int
  cameras_per_core:
    description:
      - Cameras one detector container analyses, instead of the département's
        C(detection_capacity.cameras_per_core) (the lab makes several shards with few cameras).
    type: int
"""

EXAMPLES = r"""
# inventories/pilot/vigie.yml: the whole pilot, data files beside this file
plugin: vigie
---
# inventories/lab/vigie.yml: two pilot sites, two cameras each, small shards, plus a group
plugin: vigie
path: ../pilot
sites: [col-rameau-versailles, hdd-versailles]
max_cameras_per_site: 2
cameras_per_core: 2
groups:
  detection_sites: vigie_detectors | default([]) | length > 0
keyed_groups:
  - key: vigie_site.kind
    prefix: kind
"""

import os  # noqa: E402

from ansible.errors import AnsibleParserError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable  # noqa: E402
from ansible.template import trust_as_template  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

display = Display()

CONFIG_NAMES = ("vigie.yml", "vigie.yaml")
# Characters without which no string can be a Jinja template in Ansible: every
# delimiter starts with `{` (`{{`, `{%`, `{#`), and `#jinja2:` overrides need `#`.
TEMPLATE_CHARACTERS = frozenset("{#")


class _Trust:
    """Marks as trusted the strings that cannot be templates; the others stay untrusted.

    Ansible 2.19 never renders an untrusted string, and renders a trusted one
    only when it holds template syntax: a string without `{` or `#` reads the
    same either way, so trusting it changes nothing a play sees, while a value
    written with template syntax in a commune's file stays inert. Trusted
    strings are written plainly by `--list` (untrusted ones as
    `{"__ansible_unsafe": ...}`), exactly as a static YAML inventory's are.
    Shared records (a camera on its own host and on its recorder) are
    converted once.
    """

    def __init__(self):
        self._strings = {}
        self._memo = {}

    def __call__(self, value):
        kind = type(value)
        if kind is str:
            trusted = self._strings.get(value)
            if trusted is None:
                inert = TEMPLATE_CHARACTERS.isdisjoint(value)
                trusted = self._strings[value] = trust_as_template(value) if inert else value
            return trusted
        if kind is dict or kind is list:
            done = self._memo.get(id(value))
            if done is None:
                if kind is dict:
                    done = {key: self(item) for key, item in value.items()}
                else:
                    done = [self(item) for item in value]
                # Keep `value` alive so that its id is not reused by another object.
                self._memo[id(value)] = done = (value, done)
            return done[1]
        return value


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "vigie"

    def verify_file(self, path):
        return super().verify_file(path) and os.path.basename(path) in CONFIG_NAMES

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            from vigie.errors import InventoryError
            from vigie.options import OptionsError, read_options
            from vigie.rules import REGISTRY
            from vigie.viewcache import build, cached_view
        except ImportError as exc:
            raise AnsibleParserError(
                f"the vigie package is not installed ({exc}); run `make setup`"
            ) from exc

        try:
            # The same parser as the Pulumi program's: one reading of this file.
            options = read_options(path)
        except OptionsError as exc:
            raise AnsibleParserError(str(exc)) from None
        try:
            try:
                # Built once from the data, then reused until a data file, the vigie
                # package or the date changes (vigie.viewcache).
                view, warnings = cached_view(options)
            except OSError:
                # The cache could not stamp a data file (a symbolic link loop, a file
                # gone): the validator says what is wrong with it, as `vigie validate`.
                view, warnings = build(options)
        except InventoryError as exc:
            raise AnsibleParserError(
                f"vigie inventory {options.data_dir} is invalid:\n"
                + "\n".join(d.format() for d in exc.errors)
            ) from None
        for warning in warnings:
            if not getattr(REGISTRY.get(warning.rule), "review_only", False):
                display.warning(warning.format())
        self._populate(view)

    def _populate(self, view):
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        trust = _Trust()
        # ansible-core 2.19 wraps the inventory so that set_variable re-copies and
        # tags every value of plugins that do not handle trust; this plugin does
        # (`_Trust` builds fresh, plain, already trust-marked values), so it stores
        # them directly: the copy was most of the time to the first task.
        store = getattr(self.inventory, "__wrapped__", self.inventory)
        for group in view.groups:
            self.inventory.add_group(group)
        for group, variables in view.group_vars.items():
            for key, value in variables.items():
                store.set_variable(group, key, trust(value))
        for group, members in view.groups.items():
            for host in members:
                self.inventory.add_host(host, group=group)
        constructed = bool(compose or groups or keyed_groups)
        for host, variables in view.hosts.items():
            for key, value in variables.items():
                store.set_variable(host, key, trust(value))
            if constructed:
                # Templates see the host's whole view, group variables included.
                host_vars = self.inventory.get_host(host).get_vars()
                for group_name in view.host_groups(host):
                    host_vars = {**view.group_vars.get(group_name, {}), **host_vars}
                self._set_composite_vars(compose, host_vars, host, strict=strict)
                self._add_host_to_composed_groups(groups, host_vars, host, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, host_vars, host, strict=strict)
