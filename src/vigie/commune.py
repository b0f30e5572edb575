"""`vigie commune new --insee 78xxx`: the file a commune adds to opt in.

Asks in the terminal (rich prompts) for what is not given as flags, or takes
every answer as flags (scripts, tests). Writes
`<inventory>/communes/<insee>-<slug>.yml` with every key commented, validates
the whole inventory with it, and records the new allocations in the lock.
Refuses, writing nothing: a commune outside the département, a commune that has
already opted in (its own file, or a site it owns, is in the inventory: the
département's sites on its territory do not count), a missing préfecture
authorisation. In the terminal, a wrong site or camera id is asked again, the
other answers kept. If the new inventory is invalid, the file is removed again
and the lock is untouched; each error is told by the answer behind it (the file
is gone), and in the terminal a refused date or retention is asked again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

from vigie.geography import reference
from vigie.loader import check_inventory
from vigie.lockfile import write_lock
from vigie.names import camera_name, detector_host_name, gateway_name, recorder_name
from vigie.schemadiag import ID_FORM, id_example, is_id, slugify
from vigie.vocabulary import AREAS

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class Refused(Exception):
    """The commune cannot opt in as asked: exit 1 with the message."""


class Missing(Exception):
    """An answer is missing and there is no terminal to ask it: exit 2."""


@dataclass
class CameraAnswer:
    id: str
    area: str
    films_public_road: bool = False


@dataclass
class Answers:
    insee: str
    name: str = ""
    authorisation: str = ""
    issued: dt.date | None = None
    expires: dt.date | None = None
    retention_days: int = 0
    force: str = ""  # police | gendarmerie
    police_municipale: str = "none"  # none | commune | epci
    site_id: str = ""
    site_name: str = ""
    uplink: str = ""
    recorded_at: str = ""
    recorder: int = 1
    cameras: list[CameraAnswer] = field(default_factory=list)


def _camera(text: str) -> CameraAnswer:
    parts = text.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "road"):
        raise argparse.ArgumentTypeError(f"expected ID:AREA or ID:AREA:road, got {text!r}")
    if not is_id(parts[0]):
        raise argparse.ArgumentTypeError(
            f"{parts[0]!r} is not a camera id: {ID_FORM} ({id_example(parts[0])})"
        )
    if parts[1] not in AREAS:
        raise argparse.ArgumentTypeError(f"unknown area {parts[1]!r}; one of {sorted(AREAS)}")
    return CameraAnswer(parts[0], parts[1], len(parts) == 3)


def add_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--insee", required=True, help="INSEE code of the commune (78xxx)")
    sp.add_argument("--dir", default="inventories/production", help="inventory directory")
    sp.add_argument("--authorisation", help="préfecture authorisation reference (AP-78-...)")
    sp.add_argument("--issued", type=dt.date.fromisoformat, help="authorisation date")
    sp.add_argument("--expires", type=dt.date.fromisoformat, help="end of the authorisation")
    sp.add_argument("--retention-days", type=int, help="retention the authorisation sets")
    sp.add_argument("--force", choices=("police", "gendarmerie"), help="competent force")
    sp.add_argument(
        "--police-municipale",
        choices=("none", "commune", "epci"),
        help="a police municipale of the commune, or of its intercommunality (EPCI)",
    )
    sp.add_argument("--site-id", help="id of the commune's first site (default mairie-<slug>)")
    sp.add_argument("--site-name", help="name of that site")
    sp.add_argument("--uplink", help="point of presence the site's fibre reaches")
    sp.add_argument("--recorded-at", help="site whose recorder keeps the footage")
    sp.add_argument("--recorder", type=int, default=1, help="recorder number there")
    sp.add_argument(
        "--camera",
        action="append",
        type=_camera,
        default=[],
        help="ID:AREA or ID:AREA:road (films the public road); repeat per camera",
    )
    sp.add_argument("--today", type=dt.date.fromisoformat, default=None)


def _ask(value, question: str, *, choices: list[str] | None = None, default=None, cast=str):
    """The flag's value, else the terminal's answer, else Missing."""
    if value not in (None, ""):
        return value
    if not sys.stdin.isatty():
        if default is not None:  # scripts take the defaults the terminal would propose
            return cast(default)
        raise Missing(question)
    from rich.prompt import Prompt

    while True:
        raw = Prompt.ask(question, choices=choices, default=default)
        try:
            return cast(raw)
        except ValueError as exc:
            print(f"  {exc}")


# Answers only the whole inventory's validation can judge (an authorisation of more
# than 5 years, a retention above the law's): in a terminal, a refused one is asked
# again and the others are kept. key in the file: (flag, question, cast)
QUESTIONS = {
    "issued": ("--issued", "Authorisation date (YYYY-MM-DD)", dt.date.fromisoformat),
    "expires": ("--expires", "End of validity (YYYY-MM-DD)", dt.date.fromisoformat),
    "retention_days": ("--retention-days", "Retention set by the authorisation (days)", int),
}


def _ask_again(key: str, given):
    _flag, question, cast = QUESTIONS[key]
    return _ask(given, question, cast=cast)


def _host_names(inv) -> set[str]:
    names = set()
    for site in inv.sites.values():
        names.add(gateway_name(site.id))
        names.update(recorder_name(site.id, r.id) for r in site.recorders)
        names.update(detector_host_name(site.id, d.id) for d in site.detector_hosts)
        names.update(cam.host_name for cam in site.cameras)
    return names


def _camera_problem(cam: CameraAnswer, site_id: str, given: list[CameraAnswer], taken) -> str:
    """Why this camera cannot be added (empty: it can): checked before anything is written."""
    if any(c.id == cam.id for c in given):
        return f"camera {cam.id} is already given: each camera has its own id"
    name = camera_name(site_id, cam.id)
    if name == gateway_name(site_id) or name in taken:
        return f"host name {name} is already taken (gateway, recorder, camera): choose another id"
    return ""


def gather(args: argparse.Namespace, inv) -> Answers:
    communes = reference().communes
    commune = communes.get(str(args.insee))
    if commune is None:
        raise Refused(f"INSEE {args.insee} is not a commune of the département (Yvelines, 78)")
    a = Answers(insee=commune.insee, name=commune.name)
    # Opted in: the commune owns a site. The département's sites on its territory
    # (collèges, fire stations, road centres) do not count.
    owned = [s for s in inv.sites.values() if s.insee == a.insee and s.kind == "commune_building"]
    if owned:
        where = sorted({s.src_of().path for s in owned})
        raise Refused(
            f"{commune.name} ({a.insee}) has already opted in: its site {owned[0].id} is in "
            f"{', '.join(where)}; edit that file instead"
        )
    slug = slugify(commune.name)
    a.authorisation = _ask(args.authorisation, "Préfecture authorisation reference (AP-78-...)")
    a.issued = _ask_again("issued", args.issued)
    a.expires = _ask_again("expires", args.expires)
    a.retention_days = _ask_again("retention_days", args.retention_days)
    a.force = inv.competent_force.get(a.insee) or _ask(
        args.force, "Competent force", choices=["police", "gendarmerie"]
    )
    epci = reference().epcis.get(commune.epci or "")
    pm_choices = ["none", "commune"] + (["epci"] if epci else [])
    a.police_municipale = _ask(
        args.police_municipale,
        "Police municipale" + (f" (EPCI: {epci.name})" if epci else ""),
        choices=pm_choices,
        default="none",
    )
    if a.police_municipale == "epci" and not epci:
        raise Refused(f"{commune.name} belongs to no intercommunality in the reference data")
    while True:
        a.site_id = _ask(args.site_id, "Site id", default=f"mairie-{slug}")[:40].strip("-")
        if not is_id(a.site_id):
            problem = f"{a.site_id!r} is not a site id: {ID_FORM} ({id_example(a.site_id)})"
        elif a.site_id in inv.sites:
            problem = f"site id {a.site_id} is taken in the inventory: choose another"
        else:
            break
        if args.site_id or not sys.stdin.isatty():
            raise Refused(problem + " (--site-id)")
        print(f"  {problem}")
    a.site_name = _ask(args.site_name, "Site name", default=f"Mairie de {commune.name}")
    pops = sorted(inv.points_of_presence)
    a.uplink = _ask(args.uplink, "Point of presence of the site's fibre", choices=pops)
    dcs = sorted(s.id for s in inv.sites.values() if s.kind == "datacenter")
    a.recorded_at = _ask(args.recorded_at, "Recorded at", default=dcs[0] if dcs else a.site_id)
    a.recorder = args.recorder
    taken = _host_names(inv)
    for cam in args.camera:
        if problem := _camera_problem(cam, a.site_id, a.cameras, taken):
            raise Refused(problem)
        a.cameras.append(cam)
    while not args.camera:  # in the terminal: cameras one by one, an empty answer ends
        question = "Camera (ID:AREA or ID:AREA:road" + (", empty: done)" if a.cameras else ")")
        text = _ask(None, question, default="" if a.cameras else None)
        if not text:
            if a.cameras:
                break
            continue  # at least one camera
        try:  # a wrong camera is asked again; the answers before it are kept
            cam = _camera(text)
        except argparse.ArgumentTypeError as exc:
            print(f"  {exc}")
            continue
        if problem := _camera_problem(cam, a.site_id, a.cameras, taken):
            print(f"  {problem}")
            continue
        a.cameras.append(cam)
    return a


def render(a: Answers, inv) -> str:
    """The commune's file: every key with a comment saying what it is and why."""
    ref = reference()
    commune = ref.communes[a.insee]
    national = next(
        (
            ag.id
            for ag in inv.agencies.values()
            if ag.kind == ("police_nationale" if a.force == "police" else "gendarmerie")
        ),
        None,
    )
    lines = [
        f"# {commune.name} ({a.insee}) opts in to the shared video-protection platform.",
        "# Written by `vigie commune new`; reviewed in a pull request (docs/opt-in.md).",
        "",
    ]
    if a.insee in inv.competent_force:  # the département's sites there already named it
        listed = Path(inv.force_src[a.insee].path).name
        lines.append(f"# Who polices {commune.name} ({a.force}) is already in {listed}.")
    else:
        lines += [
            f"competent_force:  # who polices {commune.name}: decides who may see an event",
            f'  "{a.insee}": {a.force}  # police or gendarmerie (ask the préfecture)',
        ]
    lines += [
        "",
        "authorisations:  # the préfecture authorisation (CSI L252-1), 5 years, renewable",
        f"  - id: {a.authorisation}  # its reference, as on the arrêté",
        f"    holder: Commune de {commune.name}  # who asked for it",
        f"    issued: {a.issued}  # date of the arrêté",
        f"    expires: {a.expires}  # renew before this date (CSI L252-4)",
        f"    retention_days: {a.retention_days}  # at most 30 days (CSI L252-5)",
    ]
    transmissions = []
    pm_id = None
    if a.police_municipale != "none":
        if a.police_municipale == "epci":
            epci = ref.epcis[commune.epci]
            existing = next((ag for ag in inv.agencies.values() if ag.epci == epci.siren), None)
            pm_id = existing.id if existing else f"pm-{slugify(epci.name)}"[:40].strip("-")
            scope = f'epci: "{epci.siren}"'
            pm_name = f"Police intercommunale {epci.name}"
        else:
            existing = next(
                (
                    ag
                    for ag in inv.agencies.values()
                    if ag.kind == "police_municipale" and ag.commune == a.insee
                ),
                None,
            )
            pm_id = existing.id if existing else f"pm-{slugify(commune.name)}"[:40].strip("-")
            scope = f'commune: "{a.insee}"'
            pm_name = f"Police municipale de {commune.name}"
        if not existing:
            lines += [
                "",
                "agencies:  # who may receive images on an event (CSI L252-3)",
                f"  - id: {pm_id}  # the police municipale; its territory bounds what it sees",
                f"    name: {pm_name}  # as it signs its requests",
                "    kind: police_municipale  # sees only its own territory",
                f"    {scope}  # from the INSEE reference data",
            ]
        transmissions.append(pm_id)
    if national:
        transmissions.append(national)
    lines += [
        "",
        "sites:  # each building or place with cameras",
        f"  - id: {a.site_id}  # never renamed: its addresses are tied to it",
        f"    name: {a.site_name}  # for people: reports, the plan",
        "    kind: commune_building  # decides which legal rules apply",
        f'    insee: "{a.insee}"  # the commune the site is in',
        f"    authorisation: {a.authorisation}  # the authorisation covering it",
        f"    uplink: {a.uplink}  # the point of presence its fibre reaches",
        f"    recorded_at: {a.recorded_at}  # where the footage is kept",
        "    camera_defaults:  # settings every camera below takes unless it sets its own",
        f"      retention_days: {a.retention_days}  # ≤ the authorisation's",
        "      purposes: [public_buildings, crime_prevention]  # CSI L251-2, closed list",
        f"      recorder: {a.recorder}  # recorder number at the recording site",
        "    transmissions:  # agencies that receive images, and the decision allowing it",
    ]
    lines += [f"      - {{agency: {t}, decision: {a.authorisation}}}" for t in transmissions]
    if not transmissions:
        lines[-1] = "    transmissions: []  # none: only the département's supervision sees"
    lines.append("    cameras:  # id (never reused), area (what it looks at), public road?")
    for cam in a.cameras:
        road = ", films_public_road: true" if cam.films_public_road else ""
        lines.append(f"      - {{id: {cam.id}, area: {cam.area}{road}}}")
    return "\n".join(lines) + "\n"


# The flag answering each key of the file, to say which answer a refusal is about.
FLAG_OF = {
    **{key: flag for key, (flag, _question, _cast) in QUESTIONS.items()},
    "authorisation": "--authorisation",
    "uplink": "--uplink",
    "recorded_at": "--recorded-at",
    "recorder": "--recorder",
    "name": "--site-name",
}


def _refusal(d, target: str, lines: list[str]) -> tuple[str, str]:
    """(what to print, the key of the answer refused or ""): a diagnostic of the file
    removed again is told by the answer behind it, not by a `path:line` that is gone."""
    if d.path != target or not 0 < d.line <= len(lines):
        return d.format(), ""
    answer = lines[d.line - 1].split("  #", 1)[0].strip().removeprefix("- ")
    key = answer.lstrip("{").split(":", 1)[0].strip('"')
    flag = "--camera" if answer.startswith("{id:") else FLAG_OF.get(key, "")
    said = f"{d.rule}: {d.message}" + (f" ({d.hint})" if d.hint else "")
    return f"  {said}\n    from the answer `{answer}`" + (f" ({flag})" if flag else ""), key


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    inv, diags = check_inventory(root, today=args.today)
    errors = [d for d in diags if d.severity == "error"]
    if inv is None or errors:
        print("vigie commune new: the inventory is invalid before any change:", file=sys.stderr)
        for d in errors:
            print(d.format(), file=sys.stderr)
        return EXIT_INVALID
    existing = sorted((root / "communes").glob(f"{args.insee}-*.y*ml"))
    try:
        if existing:
            raise Refused(f"{existing[0]} exists: the commune has already opted in")
        answers = gather(args, inv)
    except Refused as exc:
        print(f"vigie commune new: refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except Missing as exc:
        print(f"vigie commune new: missing answer (no terminal to ask): {exc}", file=sys.stderr)
        return EXIT_USAGE
    target = root / "communes" / f"{answers.insee}-{slugify(answers.name)}.yml"
    target.parent.mkdir(exist_ok=True)
    while True:
        text = render(answers, inv)
        target.write_text(text, encoding="utf-8")
        after, diags = check_inventory(root, today=args.today)
        errors = [d for d in diags if d.severity == "error" and d.rule != "NET-LOCK-MISSING"]
        if after is not None and not errors:
            break
        target.unlink()  # nothing moved
        print(
            f"vigie commune new: refused: {target} is not written, the lock is unchanged:",
            file=sys.stderr,
        )
        refused = set()
        for d in errors:
            said, key = _refusal(d, str(target), text.splitlines())
            print(said, file=sys.stderr)
            refused.add(key)
        if not sys.stdin.isatty() or not refused <= QUESTIONS.keys():
            return EXIT_INVALID
        print("  asked again; the other answers are kept", file=sys.stderr)
        for key in sorted(refused):
            setattr(answers, key, _ask_again(key, None))
    added = write_lock(after, root)
    for d in (d for d in diags if d.rule != "NET-LOCK-MISSING"):
        print(d.format(), file=sys.stderr)
    print(f"{target}: written; {added} allocation(s) recorded in {root}/netplan.lock.yml")
    # The branch name the review reads the commune from (docs/opt-in.md).
    branch = f"optin/{answers.insee}-{slugify(answers.name)}"
    print(f"next: git checkout -b {branch}; git add {root}; git commit; open a pull request")
    return EXIT_OK
