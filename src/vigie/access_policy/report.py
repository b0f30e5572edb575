"""`vigie access explain` and `vigie access matrix`: who would get what, and why."""

from __future__ import annotations

import csv
import io

from vigie import labels
from vigie.model import Inventory

from .answers import answers
from .differential import all_cameras
from .events import EVENT_CLASSES, Event
from .policy import AccessPolicy
from .settings import site_settings

WAY_WORDS = {
    "detector": "anomaly raised by a detector",
    "alarm": "alarm posted by the building's own system",
    "requisition": "judicial requisition (export of recorded footage only)",
}


def settings_line(inv: Inventory, site_id: str) -> str:
    s = site_settings(inv, inv.sites[site_id])
    return (
        f"window {s.window_before_min} min before to {s.window_after_min} min after the event; "
        f"live view {s.live_view_min} min; tokens {s.token_lifetime_s} s; one extension of "
        f"{s.extension_min} min with a reason; exports: {s.export_approval.replace('_', ' ')}; "
        f"break-glass {s.break_glass_min} min (supervisor, reason, DPO alerted)"
    )


def explain(inv: Inventory, policy: AccessPolicy, camera: str, only: list[str]) -> tuple[str, bool]:
    """Text of the explanation and whether the engine and the model agreed throughout."""
    site = inv.sites[camera.split("/")[0]]
    out = [
        f"{camera}: {site.name} ({site.kind}, commune {site.insee})",
        settings_line(inv, site.id),
    ]
    agree, shown = True, None
    for got in answers(inv, policy, camera, only):
        if got.event != shown:
            shown = got.event
            source = f", source {got.event.source}" if got.event.source else ""
            out.append(f"\n{got.event.name}: {WAY_WORDS[got.event.way]}{source}")
        v, model = got.verdict, got.model
        if not got.agree:
            agree = False
            out.append(f"  DISAGREEMENT {got.agency}: engine {v.rule}, model {model.rule}")
        word = "yes" if v.allowed else "no "
        out.append(f"  {word} {got.agency:20} {v.rule:26} {model.reason}")
    return "\n".join(out) + "\n", agree


def matrix_rows(policy: AccessPolicy, inv: Inventory):
    """(camera, event class, agency, allowed, rule) for every camera x event class x agency."""
    for camera in all_cameras(inv):
        for got in answers(inv, policy, camera):
            yield camera, got.event.name, got.agency, got.allowed, got.verdict.rule


def matrix(inv: Inventory, policy: AccessPolicy, fmt: str) -> str:
    rows = list(matrix_rows(policy, inv))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["camera", "event_class", "agency", "allowed", "rule"])
        writer.writerows((c, e, a, "yes" if ok else "no", r) for c, e, a, ok, r in rows)
        return buf.getvalue()
    table: dict[str, dict[str, list[str]]] = {}
    cited: set[str] = set()
    for camera, event, agency, ok, rule in rows:
        cell = table.setdefault(camera, {}).setdefault(event, [])
        if ok:
            word = labels.RULE_WORDS.get(rule, (rule,))[0]
            cell.append(f"{labels.agency_label(inv.agencies, agency)}, {word}")
            cited.add(rule)
    lines = [
        f"# Qui peut voir quoi : {inv.departement.name}",
        "",
        "Services autorisés, par caméra et par classe d'événement, avec la règle qui les "
        "autorise (docs/access.md). Tout autre service est refusé. Document produit par "
        "`vigie access matrix`; la légende suit le tableau.",
        "",
        "| caméra | " + " | ".join(labels.EVENT_CLASSES.get(e, e) for e in EVENT_CLASSES) + " |",
        "|---" * (len(EVENT_CLASSES) + 1) + "|",
    ]
    for camera, cells in table.items():
        values = ["; ".join(cells.get(e, [])) or "—" for e in EVENT_CLASSES]
        site = inv.sites.get(camera.split("/")[0])
        shown = f"`{camera}` ({site.name})" if site is not None else f"`{camera}`"
        lines.append(f"| {shown} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n" + matrix_legend(inv, cited)


def matrix_legend(inv: Inventory, cited: set[str]) -> str:
    """What the columns, the cells and the rule words of the matrix mean, with the
    services' names and a link to the texts behind each rule."""
    from .decision_rules import DECISION_RULES

    lines = [
        "",
        "## Légende",
        "",
        "- **caméra** : `site/caméra`, identifiants de l'inventaire, et le nom du site.",
        "- **colonnes** : la classe d'événement qui ouvre l'accès aux images "
        "(identifiant stable entre parenthèses) :",
    ]
    lines += [f"  - {label} (`{name}`)" for name, label in labels.EVENT_CLASSES.items()]
    lines += [
        "- **cellule** : les services qui peuvent voir l'enregistrement autour de l'événement "
        "(pour une réquisition : l'exporter), chacun avec le mot de la règle qui l'autorise; "
        "« — » : personne.",
        "",
        "| mot | règle | ce qu'elle dit | source |",
        "|---|---|---|---|",
    ]
    for rule in sorted(cited):
        word, meaning = labels.RULE_WORDS.get(rule, (rule, rule))
        source = DECISION_RULES[rule].source if rule in DECISION_RULES else ""
        lines.append(f"| {word} | {rule} | {meaning} | {labels.source_links(source)} |")
    lines += [
        "",
        "Services de l'inventaire :",
        "",
        "| identifiant | nom | nature |",
        "|---|---|---|",
    ]
    for agency in sorted(inv.agencies.values(), key=lambda a: a.id):
        kind = labels.AGENCY_KINDS.get(agency.kind, agency.kind)
        lines.append(f"| `{agency.id}` | {agency.name} | {kind} |")
    lines += [
        "",
        "Les textes cités sont liés dans docs/sources.md; toutes les règles de décision : "
        "`vigie rules`.",
    ]
    return "\n".join(lines) + "\n"


def expand_events(name: str | None) -> list[str]:
    if name is None:
        return list(EVENT_CLASSES)
    if name == "alarm":
        return ["alarm-intrusion", "alarm-fire"]
    return [Event.parse(name).name]
