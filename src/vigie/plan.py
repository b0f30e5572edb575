"""`vigie plan DIR --base REF`: what a change does, as Markdown for a PR comment.

The inventory at REF is extracted with `git archive` into a temporary folder
and both versions are loaded. The plan is written for the two people who read
it: the commune technician (what will my cameras get?) and the département's
reviewer (what moves, what does it cost, is it lawful?). It lists sites,
cameras and agencies added, removed or changed (any setting), the addresses
and VLANs allocated (provisional until merged: another merge may take them
first), any change to an existing allocation (refused), fibre load and storage
before -> after, the legal checklist of every new or changed camera with its
rule ids, each new camera's transmissions, who may see what on an event (the
answers `vigie access explain` and the matrix print: `vigie.access_policy.answers`), the
hosts, groups and command to deploy (`vigie.plan_deploy`, from the desired state)
and a link to the fibre picture. Everything is French (`vigie.labels`): the
English detail of each finding is `vigie validate`'s.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netaddr import AddrFormatError

from vigie import labels
from vigie.errors import Diagnostic
from vigie.loader import check_inventory
from vigie.model import Camera, Inventory, Node, Site
from vigie.names import recorder_name
from vigie.netplan import NetworkPlan, plan_network
from vigie.plan_deploy import Deploy, deploy, deploy_section, desired
from vigie.rules import REGISTRY, lawful_detection
from vigie.sizing import recorder_needs_gb, segment_loads_kbps


def _git(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True).stdout


def extract_base(directory: Path, base: str, into: Path) -> Path | None:
    """The directory as it is at `base`, or None when it does not exist there."""
    _git(directory, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")  # unknown ref: raises
    top = Path(_git(directory, "rev-parse", "--show-toplevel").decode().strip())
    prefix = _git(directory, "rev-parse", "--show-prefix").decode().strip()
    try:
        archive = _git(top, "archive", "--format=tar", base, "--", prefix or ".")
    except subprocess.CalledProcessError:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    target = into / prefix
    return target if target.is_dir() else None


# --- what changed ----------------------------------------------------------------------


def settings(obj: Node, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every setting of an object as plain data (defaults resolved), for comparison."""
    return obj.model_dump(mode="json", exclude=set(skip))


def changed_settings(old: Node, new: Node, *, skip: tuple[str, ...] = ()) -> dict[str, tuple]:
    a, b = settings(old, skip=skip), settings(new, skip=skip)
    return {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}


SITE_CHILDREN = ("cameras",)


@dataclass
class Diff:
    """Sites, cameras and agencies added, removed or changed between two inventories."""

    sites_added: list[Site] = field(default_factory=list)
    sites_removed: list[Site] = field(default_factory=list)
    sites_changed: list[tuple[Site, dict]] = field(default_factory=list)
    cameras_added: list[tuple[Site, Camera]] = field(default_factory=list)
    cameras_removed: list[tuple[Site, Camera]] = field(default_factory=list)
    cameras_changed: list[tuple[Site, Camera, dict]] = field(default_factory=list)
    agencies_added: list = field(default_factory=list)
    agencies_removed: list = field(default_factory=list)
    agencies_changed: list = field(default_factory=list)


def diff(before: Inventory | None, after: Inventory) -> Diff:
    d = Diff()
    old_sites = before.sites if before else {}
    for site in after.sites.values():
        old = old_sites.get(site.id)
        if old is None:
            d.sites_added.append(site)
            d.cameras_added += [(site, c) for c in site.cameras]
            continue
        changes = changed_settings(old, site, skip=SITE_CHILDREN)
        if changes:
            d.sites_changed.append((site, changes))
        old_cams = {c.id: c for c in old.cameras}
        for cam in site.cameras:
            if cam.id not in old_cams:
                d.cameras_added.append((site, cam))
            elif changes := changed_settings(old_cams[cam.id], cam):
                d.cameras_changed.append((site, cam, changes))
        new_ids = {c.id for c in site.cameras}
        d.cameras_removed += [(old, c) for c in old.cameras if c.id not in new_ids]
    for site in old_sites.values():
        if site.id not in after.sites:
            d.sites_removed.append(site)
            d.cameras_removed += [(site, c) for c in site.cameras]
    old_agencies = before.agencies if before else {}
    for agency in after.agencies.values():
        old = old_agencies.get(agency.id)
        if old is None:
            d.agencies_added.append(agency)
        elif changes := changed_settings(old, agency):
            d.agencies_changed.append((agency, changes))
    d.agencies_removed = [a for a in old_agencies.values() if a.id not in after.agencies]
    return d


def allocation_changes(before: Inventory | None, after: Inventory) -> list[tuple[str, str, str]]:
    """Every allocation of the base that the change moves or reuses (all refused).

    Compared on the lock files (what is committed) and on the plans (what the
    network gets): a site's slot, a camera's number, a slot given to another
    site, the département's supernet and admin prefix.
    """
    if before is None:
        return []
    out: list[tuple[str, str, str]] = []  # (rule, site id, what moved)
    moved, reused = "OPTIN-ALLOCATION-MOVED", "OPTIN-LOCK-REUSE"
    for name in ("supernet", "admin_prefix"):
        old, new = getattr(before.departement, name), getattr(after.departement, name)
        if old != new:
            out.append((moved, "", f"département `{name}` {old} → {new}"))
    old_lock = (before.lock or {}).get("sites") or {}
    new_lock = (after.lock or {}).get("sites") or {}
    holder = {e.get("slot"): sid for sid, e in old_lock.items() if isinstance(e, dict)}
    for sid, entry in new_lock.items():
        if not isinstance(entry, dict):
            continue
        slot, old = entry.get("slot"), old_lock.get(sid)
        if isinstance(old, dict) and old.get("slot") != slot:
            out.append((moved, sid, f"site `{sid}`: lock slot {old.get('slot')} → {slot}"))
        if slot in holder and holder[slot] != sid:
            out.append((reused, sid, f"site `{sid}`: lock slot {slot} belongs to `{holder[slot]}`"))
        old_cams = (old or {}).get("cameras") or {} if isinstance(old, dict) else {}
        new_cams = entry.get("cameras") or {}
        for cid, number in new_cams.items():
            if cid in old_cams and old_cams[cid] != number:
                text = f"camera `{sid}-{cid}`: lock number {old_cams[cid]} → {number}"
                out.append((moved, sid, text))
    for sid in old_lock:
        if sid not in new_lock:
            out.append(
                (moved, sid, f"site `{sid}`: removed from the lock (its slot stays reserved)")
            )
    old_plan, new_plan = network_plan(before), network_plan(after)
    if old_plan is None or new_plan is None:
        return sorted(set(out))
    for sid, sp in new_plan.sites.items():
        op = old_plan.sites.get(sid)
        if op is None or (sid, None) in old_plan.unlocked:
            continue
        if op.prefixes != sp.prefixes:
            text = f"site `{sid}`: prefixes {op.prefixes['cameras']} → {sp.prefixes['cameras']}"
            out.append((moved, sid, text))
        for cid, number in sp.camera_numbers.items():
            known = cid in op.camera_numbers and (sid, cid) not in old_plan.unlocked
            if known and op.camera_numbers[cid] != number:
                text = (
                    f"camera `{sid}-{cid}`: address {op.camera_address(cid)} → "
                    f"{sp.camera_address(cid)}"
                )
                out.append((moved, sid, text))
    return sorted(set(out))


def network_plan(inv: Inventory | None) -> NetworkPlan | None:
    """The network plan, or None when the inventory's networks are unusable (NET-PREFIX
    errors): an invalid pull request still gets a plan, without addresses."""
    if inv is None:
        return None
    try:
        return plan_network(inv)
    except (AddrFormatError, ValueError, TypeError):
        return None


# --- rendering -------------------------------------------------------------------------


def _cell(before: float | None, after: float | None, unit: str) -> str:
    b = "-" if before is None else f"{before:,.0f}"
    a = "-" if after is None else f"{after:,.0f}"
    return f"{b} → {a} {unit}"


def _shown(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _changes(changes: dict) -> str:
    return "; ".join(f"{k}: {_shown(a)} → {_shown(b)}" for k, (a, b) in changes.items())


def _camera_lines(cam: Camera) -> set[tuple[str, int]]:
    srcs = [cam.src_of(), *(cam._key_src or {}).values()]
    return {(s.path, s.line) for s in srcs}


def checklist(inv: Inventory, site: Site, cam: Camera, diags: list[Diagnostic]) -> list[str]:
    """The legal checklist of one camera: each item with its rule ids, ✗ when broken."""
    lines = _camera_lines(cam)
    broken = {d.rule for d in diags if (d.path, d.line) in lines and d.severity == "error"}
    auth = inv.authorisations.get(site.authorisation)

    def item(text: str, *rules: str) -> str:
        mark = "✗" if broken & set(rules) else "✓"
        return f"{mark} {text} ({', '.join(rules)})"

    road = "filme" if cam.films_public_road else "ne filme pas"
    items = [
        item(
            f"conservation {cam.retention_days} j ≤ autorisation {site.authorisation} "
            f"({auth.retention_days if auth else '?'} j) ≤ 30 j",
            "LEGAL-RETENTION-MAX",
            "LEGAL-RETENTION-AUTHORISATION",
            "LEGAL-RETENTION-COLLEGE",
        ),
        item(
            "finalités : " + ", ".join(labels.word(labels.PURPOSES, p) for p in cam.purposes),
            "LEGAL-PURPOSE",
            "LEGAL-SDIS-PURPOSE",
        ),
        item(
            f"zone {cam.area or '-'}, {road} la voie publique",
            "LEGAL-COLLEGE-LIVING-AREA",
            "LEGAL-WORKPLACE-AREA",
        ),
        item(
            f"{cam.resolution} à {cam.fps} images/s",
            "LEGAL-IMAGE-RESOLUTION",
            "LEGAL-IMAGE-FPS",
        ),
    ]
    if cam.sees_homes or cam.privacy_masks:
        items.append(
            item(
                f"{'voit des habitations, ' if cam.sees_homes else ''}"
                f"{len(cam.privacy_masks)} masque(s) de confidentialité",
                "LEGAL-PRIVACY-MASK",
            )
        )
    if cam.detection:
        lawful = "licite" if lawful_detection(cam, site) else "NON LICITE"
        items.append(
            item(
                f"détection {'/'.join(cam.detection.classes)} ({lawful})",
                "LEGAL-DETECTION-CLASSES",
                "LEGAL-DETECTION-PUBLIC-ROAD",
            )
        )
    extra = sorted(r for r in broken if r.startswith("LEGAL-") and r not in " ".join(items))
    items += [f"✗ {labels.rule_fr(r)} ({r})" for r in extra if labels.rule_fr(r)]
    return items


def transmissions(inv: Inventory, site: Site) -> list[str]:
    out = []
    for tr in site.transmissions:
        agency = inv.agencies.get(tr.agency)
        if agency is None:
            scope = "service inconnu"
        elif agency.epci:
            scope = f"EPCI {agency.epci}"
        elif agency.commune:
            scope = f"commune {agency.commune}"
        else:
            scope = labels.AGENCY_KINDS.get(agency.kind, agency.kind)
        name = agency.name if agency else tr.agency
        out.append(
            f"{name} (`{tr.agency}`), décision {tr.decision or 'AUCUNE'}, "
            f"{labels.TRANSMISSION_MODES.get(tr.mode, tr.mode)}, "
            f"périmètre {scope}"
        )
    return out


def access_policy(inv: Inventory):
    """The access policy of `inv`, or None when it cannot be built (the plan still shows
    the rest; `vigie access explain` says why)."""
    try:
        from vigie.access_policy.policy import AccessPolicy

        return AccessPolicy.from_inventory(inv)
    except Exception:  # the access policy is another module's contract; never fail a plan
        return None


def who_can_see(inv: Inventory, site: Site, cam: Camera, policy=None) -> list[str] | None:
    """Per event class, the agencies that may see the camera, read from the answers
    `vigie access explain` and the matrix print (`vigie.access_policy.answers`); None when
    the access policy cannot be built."""
    from vigie.access_policy.answers import answers

    policy = policy or access_policy(inv)
    if policy is None:
        return None
    receivers = {tr.agency for tr in site.transmissions}
    columns: dict[str, tuple[str, list[str], dict[str, str]]] = {}
    for got in answers(inv, policy, f"{site.id}/{cam.id}"):
        _action, allowed, why = columns.setdefault(got.event.name, (got.action, [], {}))
        if got.allowed:
            allowed.append(labels.agency_label(inv.agencies, got.agency))
        elif got.agency in receivers or not receivers:  # why the site's own receivers cannot
            why.setdefault(got.verdict.rule, got.verdict.reason)
    out = []
    for name, (action, allowed, why) in columns.items():
        said = {rule: labels.DECISION_RULES_FR.get(rule, text) for rule, text in why.items()}
        reasons = "; ".join(f"{text} ({rule})" for rule, text in sorted(said.items()))
        shown = ", ".join(allowed) or f"personne : {reasons}"
        event = labels.EVENT_CLASSES.get(name, name)
        out.append(f"{event} (`{name}`, {labels.ACTIONS.get(action, action)}) : {shown}")
    return out


def _address(plan: NetworkPlan, site: Site, cam: Camera) -> str:
    sp = plan.sites.get(site.id)
    return sp.camera_address(cam.id) if sp and cam.id in sp.camera_numbers else "?"


def rule_source(rule: str) -> str:
    """The source of any rule id the plan cites: validation, opt-in or access decision."""
    if rule in REGISTRY:
        return REGISTRY[rule].source
    if rule.startswith("OPTIN-"):
        return labels.OPTIN_SOURCE
    if rule in labels.FILE_RULES:
        return labels.OWN_SOURCE
    try:
        from vigie.access_policy.decision_rules import DECISION_RULES
    except ImportError:
        return ""
    return DECISION_RULES[rule].source if rule in DECISION_RULES else ""


RULE_ID = re.compile(r"\b(?:LEGAL|ACCESS|OPTIN|REF|NET|STORAGE|FIBRE|CAPACITY|FLEET|SCHEDULE|"
                     r"YAML|SCHEMA)-[A-Z0-9-]*[A-Z0-9]\b")  # fmt: skip


def legend(text: str) -> list[str]:
    """The legend of the plan: the words used, and every rule cited with its source."""
    out = [
        "### Légende",
        "",
        "- **ajouté / modifié / retiré** : ce que la demande change par rapport à la branche "
        "cible; *provisoire jusqu'à la fusion* : une autre fusion peut prendre l'adresse avant.",
        "- ✓ la règle est respectée, ✗ elle ne l'est pas (la demande est alors refusée).",
        "- Les identifiants entre `accents graves` sont ceux de l'inventaire; les identifiants "
        "de règles (LEGAL-…, ACCESS-…, OPTIN-…) sont stables et listés par `vigie rules`.",
        "- Conservation en jours (j); débits en Mbit/s; disques en Go (GB).",
        "",
    ]
    cited = sorted(set(RULE_ID.findall(text)))
    if cited:
        out += [
            "| règle | ce qu'elle vérifie | source (textes liés dans docs/sources.md) |",
            "|---|---|---|",
        ]
        for rule in cited:
            source = rule_source(rule)
            shown = labels.source_links(labels.source_fr(source)) if source else "-"
            out.append(f"| {rule} | {labels.rule_fr(rule) or '-'} | {shown} |")
        out.append("")
    return out


def diagnostics_fr(diags: list[Diagnostic]) -> list[str]:
    """Each finding at its line, with the French wording of its rule; the technician's
    detail (in English) is what `vigie validate` prints at the same line."""
    out = []
    for d in diags:
        severity = labels.SEVERITIES.get(d.severity, d.severity)
        said = labels.rule_fr(d.rule) or "voir `vigie validate`"
        out.append(
            f"- `{d.path}:{d.line}` : **{severity}**, règle non respectée : {said} ({d.rule})"
        )
    out += ["", "Le détail de chaque ligne, pour le technicien : `vigie validate DIR`.", ""]
    return out


def render_plan(
    before: Inventory | None,
    after: Inventory,
    diags: list[Diagnostic],
    *,
    picture: str | None = None,
    deploy: Deploy | None = None,
) -> str:
    out = ["## vigie plan : ce que change la demande", ""]
    errors = [d for d in diags if d.severity == "error"]
    warnings = [d for d in diags if d.severity == "warning"]
    d = diff(before, after)
    moved = allocation_changes(before, after)
    refused = bool(errors or moved or any(site.cameras for site in d.sites_removed))
    out.append(
        f"**{'REFUSÉE' if refused else 'valide'}** : {len(after.sites)} sites, "
        f"{after.camera_count()} caméras; {len(errors)} erreur(s), "
        f"{len(warnings)} avertissement(s)."
    )
    out.append("")
    if diags:
        out += diagnostics_fr(diags)
    plan = network_plan(after) or NetworkPlan(None, None, {})  # type: ignore[arg-type]
    base_plan = network_plan(before)

    def provisional(site_id: str, cam_id: str | None = None) -> str:
        new = base_plan is None or site_id not in base_plan.sites
        new = new or (cam_id is not None and cam_id not in base_plan.sites[site_id].camera_numbers)
        return " *(provisoire jusqu'à la fusion)*" if new else ""

    out += ["### Allocations existantes", ""]
    if moved:
        out.append(
            "**Refusé** (une allocation ne bouge jamais : la restaurer depuis la branche cible) :"
        )
        out += [f"- {text} ({rule})" for rule, _sid, text in moved]
    else:
        out.append("Aucune adresse, aucun préfixe, VLAN ou emplacement du lock ne bouge.")
    out.append("")

    out += ["### Sites", ""]
    for site in d.sites_added:
        sp = plan.sites.get(site.id)
        nets = (
            ", ".join(
                f"{labels.NETWORKS.get(n, n)} {sp.prefixes[n]} (VLAN {sp.vlans[n]})"
                for n in sp.prefixes
            )
            if sp
            else "?"
        )
        kind = labels.SITE_KINDS.get(site.kind, site.kind)
        out.append(
            f"- **ajouté** `{site.id}` {site.name} ({kind}, `{site.kind}`, INSEE {site.insee}) : "
            f"{len(site.cameras)} caméras; {nets}{provisional(site.id)}"
        )
    for site, changes in d.sites_changed:
        out.append(f"- **modifié** `{site.id}` : {_changes(changes)}")
    for site in d.sites_removed:
        kept = (
            " — **refusé** tant que ses images peuvent être encore conservées "
            "(OPTIN-SITE-RETENTION) : retirer d'abord ses caméras"
            if site.cameras
            else ""
        )
        out.append(
            f"- **retiré** `{site.id}` ({len(site.cameras)} caméras); son emplacement reste réservé"
            + kept
        )
    if not (d.sites_added or d.sites_changed or d.sites_removed):
        out.append("Aucun site ajouté, retiré ou modifié.")
    out.append("")

    out += ["### Caméras", ""]
    for site, cam in d.cameras_added:
        area = f", zone {labels.word(labels.AREAS, cam.area)}" if cam.area else ""
        out.append(
            f"- **ajoutée** `{cam.host_name}` {_address(plan, site, cam)}"
            f"{provisional(site.id, cam.id)}{area}"
        )
    for _site, cam, changes in d.cameras_changed:
        out.append(f"- **modifiée** `{cam.host_name}` : {_changes(changes)}")
    for site, cam in d.cameras_removed:
        out.append(f"- **retirée** `{site.id}-{cam.id}`")
    if not (d.cameras_added or d.cameras_changed or d.cameras_removed):
        out.append("Aucune caméra ajoutée, retirée ou modifiée.")
    out.append("")

    out += ["### Services destinataires", ""]
    out += [
        f"- **ajouté** {a.name} (`{a.id}`, {labels.AGENCY_KINDS.get(a.kind, a.kind)})"
        for a in d.agencies_added
    ]
    out += [
        f"- **modifié** {labels.agency_label(after.agencies, a.id)} : {_changes(c)}"
        for a, c in d.agencies_changed
    ]
    out += [f"- **retiré** {a.name} (`{a.id}`)" for a in d.agencies_removed]
    if not (d.agencies_added or d.agencies_changed or d.agencies_removed):
        out.append("Aucun service ajouté, retiré ou modifié.")
    out.append("")

    reviewed = [(s, c) for s, c in d.cameras_added] + [(s, c) for s, c, _ in d.cameras_changed]
    if reviewed:
        out += ["### Contrôle légal des caméras nouvelles ou modifiées", ""]
        for site, cam in reviewed:
            out.append(f"- `{cam.host_name}`")
            out += [f"  - {x}" for x in checklist(after, site, cam, diags)]
        out.append("")
    if d.cameras_added:
        out += ["### Transmissions des nouvelles caméras (service, décision, périmètre)", ""]
        for site, cam in d.cameras_added:
            items = transmissions(after, site)
            out.append(f"- `{cam.host_name}` : " + ("; ".join(items) or "aucune"))
        out.append("")
    if reviewed:
        out += ["### Qui peut voir quoi lors d'un événement", ""]
        policy = access_policy(after)
        for site, cam in reviewed:
            seen = who_can_see(after, site, cam, policy)
            if seen is None:
                out.append(
                    "La politique d'accès n'a pas pu être construite (`vigie access explain` dit "
                    "pourquoi)."
                )
                break
            out.append(f"- `{cam.host_name}` : " + "; ".join(seen))
        out.append("")

    out += [
        "### Charge des fibres (limite 70 %)",
        "",
        "| segment | capacité | charge avant → après |",
        "|---|---|---|",
    ]
    load_before = segment_loads_kbps(before) if before else {}
    for seg_id, kbps in sorted(segment_loads_kbps(after).items()):
        seg = after.segments[seg_id]
        prev = load_before.get(seg_id)
        if prev != kbps:
            out.append(
                f"| {seg_id} | {seg.capacity_mbps:,} Mbit/s | "
                f"{_cell(None if prev is None else prev / 1000, kbps / 1000, 'Mbit/s')} "
                f"({kbps / 10 / seg.capacity_mbps:.1f} %) |"
            )
    if out[-1] == "|---|---|---|":
        out.append("| (aucun changement) | | |")
    out.append("")
    if picture:
        out += [
            "Arbre des fibres, charge avant (trait du haut) et après (bas) : "
            f"[{picture}]({picture})",
            "",
        ]

    out += [
        "### Stockage par enregistreur",
        "",
        "| enregistreur | disque | besoin avant → après |",
        "|---|---|---|",
    ]
    need_before = recorder_needs_gb(before) if before else {}
    for (sid, n), need in sorted(recorder_needs_gb(after).items()):
        prev = need_before.get((sid, n))
        if prev is None or abs(prev - need) > 0.5:
            disk = (
                next((r.disk_gb for r in after.sites[sid].recorders if r.id == n), None)
                if sid in after.sites
                else None
            )
            shown = f"{disk:,} GB" if disk else "enregistreur inexistant"  # REF-RECORDER says why
            out.append(f"| {recorder_name(sid, n)} | {shown} | {_cell(prev, need, 'GB')} |")
    if out[-1] == "|---|---|---|":
        out.append("| (aucun changement) | | |")
    out.append("")
    if deploy is not None:
        out += deploy_section(deploy, refused)
    out += legend("\n".join(out))
    return "\n".join(out)


def load_base(directory: Path, base: str, tmp: Path, today: dt.date | None) -> Inventory | None:
    base_dir = extract_base(Path(directory).resolve(), base, tmp)
    shown = str(directory).rstrip("/")  # diagnostics name the files as in the working tree
    return check_inventory(base_dir, today=today, display_base=shown)[0] if base_dir else None


def plan_change(
    directory: Path,
    *,
    base: str = "HEAD",
    today: dt.date | None = None,
    picture: Path | None = None,
) -> tuple[str, int]:
    after, diags = check_inventory(directory, today=today)
    if after is None:
        head = ["## vigie plan : ce que change la demande", "", "**INVALIDE**", ""]
        text = "\n".join([*head, *diagnostics_fr(diags)])
        return text, 1
    with tempfile.TemporaryDirectory(prefix="vigie-plan-") as tmp:
        try:
            before = load_base(Path(directory), base, Path(tmp), today)
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            return f"vigie plan: cannot read git ref {base!r}: {exc}\n", 2
    link = None
    if picture is not None:
        from vigie.picture import fibre_svg

        picture.write_text(fibre_svg(before, after), encoding="utf-8")
        link = picture.name
    refused = (
        any(d.severity == "error" for d in diags)
        or allocation_changes(before, after)
        or any(site.cameras for site in diff(before, after).sites_removed)
    )
    after_state = desired(after, Path(directory))
    plan = Deploy(unknown=True)
    if after_state is not None:
        plan = deploy(desired(before, Path(directory)), after_state, str(directory))
    text = render_plan(before, after, diags, picture=link, deploy=plan)
    return text, 1 if refused else 0
