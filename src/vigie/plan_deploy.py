"""What a change deploys, for `vigie plan`: the hosts whose desired state it changes,
the Ansible groups that hold them and the exact command to run, and the plan's
section that says so.

Hosts and groups come from the model (`vigie.desired.DesiredState`, names from
`vigie.names`): a host is touched when it is new, its own inputs change, or the
inputs of one of its groups do. The central hosts (`central`: CA, broker, access
gateway) are touched by any change that touches another host or the access
policy: they issue the detector hosts' identities, hold the broker's ACL and serve
the access policy from a copy of the inventory. The command limits
`playbooks/site.yml` to each touched host's site group and `central`: a site is
deployed whole, the unit of `--limit` the playbooks report on. When the detector
containers change (`DesiredState.detectors`), the Pulumi stack that deploys this
inventory's (its `vigie:inventory`) is named too.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vigie.desired import DesiredState
from vigie.model import Inventory
from vigie.names import site_group
from vigie.options import InventoryOptions, OptionsError, read_options

PLAYBOOK = "playbooks/site.yml"
CENTRAL = "central"


@dataclass
class Deploy:
    # group -> its hosts, each with what the change does to it ("" when untouched)
    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # hosts no longer in the inventory
    command: str = ""
    detectors: str = ""  # the Pulumi command when the detector containers change
    unknown: bool = False  # the changed inventory has no desired state (refused)

    @property
    def touched(self) -> list[str]:
        return sorted(h for hosts in self.groups.values() for h, what in hosts.items() if what)

    @property
    def targets(self) -> list[str]:
        """Every host the command runs on."""
        return sorted(h for hosts in self.groups.values() for h in hosts)


def desired(inv: Inventory | None, directory: Path) -> DesiredState | None:
    """The desired state as the inventory plugin builds it (the entry point's options),
    or None when the inventory has none (an invalid change: nothing is deployed)."""
    if inv is None:
        return None
    try:
        options = read_options(directory)
    except OptionsError:
        options = InventoryOptions(data_dir=Path(inv.path))
    options = dataclasses.replace(options, data_dir=Path(inv.path))
    try:
        return DesiredState.build(inv, options)
    except Exception:  # an inventory the plan reports as refused has no desired state
        return None


def _inputs(state: DesiredState, name: str) -> dict:
    host = state.hosts[name]
    inherited = {g: state.group_vars.get(g) for g in host.groups}
    return {"vars": host.vars, "groups": inherited}


def _policy(state: DesiredState | None) -> dict[str, str] | None:
    try:
        return state.access_policy_files() if state else None
    except Exception:  # no policy: compared as absent
        return None


def pulumi_stack(directory: str) -> str:
    """The stack whose `vigie:inventory` is this directory (the stack files beside the
    project's `Pulumi.yaml`), "" when none is."""
    here = Path(directory).resolve()
    root = next((p for p in [here, *here.parents] if (p / "Pulumi.yaml").is_file()), None)
    if root is None:
        return ""
    for stack in sorted(root.glob("Pulumi.*.yaml")):
        try:
            config = (yaml.safe_load(stack.read_text(encoding="utf-8")) or {}).get("config") or {}
        except (OSError, yaml.YAMLError, AttributeError):
            continue
        inventory = config.get("vigie:inventory")
        if isinstance(inventory, str) and (root / inventory).resolve() == here:
            return stack.name.removeprefix("Pulumi.").removesuffix(".yaml")
    return ""


def deploy(before: DesiredState | None, after: DesiredState, directory: str) -> Deploy:
    out = Deploy()
    old = before.hosts if before else {}
    changed: dict[str, str] = {}
    for name, host in after.hosts.items():
        if host.kind in ("central", "witness"):
            continue  # central: below; a witness is deployed by playbooks/witness.yml
        if name not in old:
            changed[name] = "ajouté"
        elif _inputs(before, name) != _inputs(after, name):
            changed[name] = "modifié"
    out.removed = sorted(set(old) - set(after.hosts))
    central_inputs = (before.group_vars.get(CENTRAL) if before else None) != after.group_vars.get(
        CENTRAL
    )
    central = bool(changed or out.removed or central_inputs or _policy(before) != _policy(after))
    for name, host in after.hosts.items():
        if host.kind == "central" and central:
            changed[name] = "ajouté" if name not in old else "modifié"
    groups = sorted({site_group(after.hosts[h].site) for h in changed if after.hosts[h].site})
    if any(after.hosts[h].kind == "central" for h in changed):
        groups.append(CENTRAL)
    members = after.groups()
    for group in groups:
        out.groups[group] = {h: changed.get(h, "") for h in sorted(members.get(group, []))}
    if (before.detectors if before else {}) != after.detectors:
        stack = pulumi_stack(directory)
        out.detectors = f"pulumi up --stack {stack}" if stack else "pulumi up"
    if groups:
        out.command = (
            f"ansible-playbook -i {shlex.quote(directory)} {PLAYBOOK} --limit '{':'.join(groups)}'"
        )
    return out


def deploy_section(plan: Deploy, refused: bool) -> list[str]:
    """The hosts and groups the change touches and the command that deploys them."""
    out = ["### Déploiement après la fusion", ""]
    if plan.unknown:
        out += [
            "Rien à déployer : l'état voulu des hôtes ne se calcule pas sur cet inventaire "
            "(`vigie validate` dit pourquoi).",
            "",
        ]
    elif not plan.groups:
        out += ["Aucun hôte à déployer : l'état voulu des hôtes ne change pas.", ""]
    else:
        out.append(
            "Groupes Ansible et hôtes que la demande touche (l'exploitation déploie "
            "chaque groupe entier) :"
        )
        for group, hosts in plan.groups.items():
            shown = ", ".join(f"`{h}` ({what or 'inchangé'})" for h, what in hosts.items())
            out.append(f"- `{group}` : {shown}")
        out += ["", "Commande (équipe d'exploitation du département, une fois la demande "
                "fusionnée) :", "", "```", plan.command, "```", ""]  # fmt: skip
    if plan.detectors:
        out += [
            "Les conteneurs de détection changent aussi : ils sont déployés par Pulumi "
            "(pulumi/README.md), après la commande ci-dessus :",
            "",
            "```",
            plan.detectors,
            "```",
            "",
        ]
    if plan.removed:
        out += [
            "Hôtes retirés (aucun playbook ne les retire : à déprovisionner à la main) : "
            + ", ".join(f"`{h}`" for h in plan.removed),
            "",
        ]
    if refused:
        out += ["La demande est refusée : rien n'est déployé tant qu'elle l'est.", ""]
    return out
