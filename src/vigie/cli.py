"""The `vigie` command: validate, lock, plan, summary, generate, rules.

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from vigie.errors import Diagnostic, InventoryError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _directory(text: str) -> Path:
    if not text.strip():  # Path("") is the current directory: never validate that by accident
        raise argparse.ArgumentTypeError("empty path")
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {text}")
    return path


def _print_diagnostics(diags: list[Diagnostic], fmt: str, stream=None) -> None:
    stream = stream or sys.stdout  # looked up at call time (tests redirect it)
    if fmt == "json":
        errors = [d for d in diags if d.severity == "error"]
        json.dump(
            {
                "valid": not errors,
                "errors": len(errors),
                "warnings": len(diags) - len(errors),
                "diagnostics": [d.as_dict() for d in diags],
            },
            stream,
            indent=2,
            ensure_ascii=False,
        )
        stream.write("\n")
    else:
        for d in diags:
            stream.write(d.format() + "\n")


def cmd_validate(args: argparse.Namespace) -> int:
    from vigie.loader import check_inventory

    inv, diags = check_inventory(args.dir, today=args.today)
    _print_diagnostics(diags, args.format)
    errors = [d for d in diags if d.severity == "error"]
    if inv is None and errors and all(d.rule == "USAGE" for d in errors):
        return EXIT_USAGE  # not an inventory's root: said above, once
    if args.format == "text":
        if errors:
            print(
                f"{args.dir}: {len(errors)} error(s), {len(diags) - len(errors)} warning(s)",
                file=sys.stderr,
            )
        else:
            print(
                f"{args.dir}: valid: {len(inv.sites)} sites, {inv.camera_count()} cameras, "
                f"{len(diags)} warning(s)",
                file=sys.stderr,
            )
    return EXIT_INVALID if errors or inv is None else EXIT_OK


def cmd_lock(args: argparse.Namespace) -> int:
    from vigie.loader import check_inventory
    from vigie.lockfile import write_lock

    inv, diags = check_inventory(args.dir, today=args.today)
    errors = [d for d in diags if d.severity == "error" and d.rule != "NET-LOCK-MISSING"]
    if inv is None or errors:
        _print_diagnostics(errors, "text")
        return EXIT_INVALID
    added = write_lock(inv, Path(args.dir))
    print(f"{args.dir}/netplan.lock.yml: {added} new allocation(s) recorded", file=sys.stderr)
    return EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    from vigie.loader import check_inventory
    from vigie.summary import print_summary

    inv, diags = check_inventory(args.dir, today=args.today)
    if inv is None or any(d.severity == "error" for d in diags):
        _print_diagnostics(diags, "text")
        return EXIT_INVALID
    print_summary(inv)
    return EXIT_OK


def _git_ref_problem(directory: Path, ref: str) -> str | None:
    """Why `ref` cannot be compared with (one line), or None when it is a commit."""
    import subprocess

    def git(*argv: str) -> int:
        return subprocess.run(["git", "-C", str(directory), *argv], capture_output=True).returncode

    try:
        if git("rev-parse", "--is-inside-work-tree") != 0:
            return f"{directory} is not in a git repository: the plan compares it with a git ref"
        if ref.startswith("-") or git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"):
            return (
                f"unknown git ref {ref!r}: give a branch, tag or commit of the repository "
                "(e.g. main, origin/main, HEAD~1)"
            )
    except FileNotFoundError:
        return "git is not installed: the plan compares the inventory with a git ref"
    return None


def cmd_plan(args: argparse.Namespace) -> int:
    from vigie.plan import plan_change

    problem = _git_ref_problem(args.dir, args.base)
    if problem:
        print(f"vigie plan: {problem}", file=sys.stderr)
        return EXIT_USAGE
    text, code = plan_change(args.dir, base=args.base, today=args.today, picture=args.picture)
    sys.stdout.write(text)
    return code


def cmd_review(args: argparse.Namespace) -> int:
    import subprocess

    from vigie.review import FORMATS, review

    try:
        diags, lines = review(args.dir, base=args.base, commune=args.commune, today=args.today)
    except subprocess.CalledProcessError as exc:
        print(f"vigie review: git failed: {exc.stderr or exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(FORMATS[args.format](diags, lines))
    errors = [d for d in diags if d.severity == "error"]
    print(f"{args.dir}: review: {len(errors)} error(s)", file=sys.stderr)
    return EXIT_INVALID if errors else EXIT_OK


def cmd_commune_new(args: argparse.Namespace) -> int:
    from vigie.commune import run

    if not args.dir.strip():
        print("vigie commune new: empty path", file=sys.stderr)
        return EXIT_USAGE
    return run(args)


def cmd_generate(args: argparse.Namespace) -> int:
    from vigie.generate import Refused, generate

    if args.cameras < 1:
        print("vigie generate: --cameras must be positive", file=sys.stderr)
        return EXIT_USAGE
    if not args.outdir.strip():  # Path("") would write into the current directory
        print("vigie generate: empty path", file=sys.stderr)
        return EXIT_USAGE
    try:
        stats = generate(
            Path(args.outdir), cameras=args.cameras, seed=args.seed, replace=args.replace
        )
    except Refused as exc:
        print(f"vigie generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"{args.outdir}: {stats['sites']} sites, {stats['cameras']} cameras, "
        f"{stats['communes']} communes",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_central(args: argparse.Namespace) -> int:
    """`vigie central DIR [--format json|acl]`: what roles/pki and roles/broker apply."""
    from vigie.central import central_inputs, mosquitto_acl
    from vigie.loader import load_inventory

    try:
        inv = load_inventory(args.dir, today=args.today)
    except InventoryError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return EXIT_INVALID
    if args.format == "acl":
        sys.stdout.write(mosquitto_acl(inv))
        return EXIT_OK
    json.dump(central_inputs(inv), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    """Every rule family, each rule with its stable id and its source."""
    from vigie.access_policy.decision_rules import DECISION_RULES
    from vigie.labels import (
        EFFECTS,
        FILE_RULES,
        OPTIN_SOURCE,
        OWN_SOURCE,
        SEVERITIES,
        SOURCES_DOC,
        rule_fr,
        source_anchors,
        source_fr,
    )
    from vigie.review import RULES as OPTIN_RULES
    from vigie.rules import REGISTRY

    def anchors(source: str) -> str:
        found = source_anchors(source)
        return f"  -> {SOURCES_DOC}#" + f", {SOURCES_DOC}#".join(found) if found else ""

    print("# Règles de validation de l'inventaire (vigie validate, vigie review)")
    for r in REGISTRY.values():
        said = f"{rule_fr(r.id)}  [{source_fr(r.source)}]{anchors(r.source)}"
        print(f"{r.id:32} {SEVERITIES[r.severity]:13} {said}")
    print("\n# Règles de décision d'accès aux images (vigie access explain|matrix, journal)")
    for d in DECISION_RULES.values():
        said = f"{rule_fr(d.id)}  [{source_fr(d.source)}]{anchors(d.source)}"
        print(f"{d.id:32} {EFFECTS[d.effect]:13} {said}")
    print("\n# Règles d'adhésion d'une commune (vigie review, vigie plan)")
    for rule_id in OPTIN_RULES:
        print(f"{rule_id:32} {'erreur':13} {rule_fr(rule_id)}  [{OPTIN_SOURCE}]")
    print("\n# Règles de lecture des fichiers (vigie validate)")
    for rule_id in FILE_RULES:
        print(f"{rule_id:32} {'erreur':13} {rule_fr(rule_id)}  [{OWN_SOURCE}]")
    print(f"\nSources (textes et liens, ce que chaque règle en retient) : {SOURCES_DOC}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vigie", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def with_dir(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("dir", type=_directory, help="inventory directory, e.g. inventories/pilot")
        sp.add_argument(
            "--today",
            type=_date,
            default=None,
            help="check authorisations as of this date (default: today)",
        )
        return sp

    v = with_dir("validate", "check an inventory: schema, references, network, fibre, storage, law")
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.set_defaults(func=cmd_validate)
    with_dir("lock", "record new site and camera allocations in netplan.lock.yml").set_defaults(
        func=cmd_lock
    )
    with_dir("summary", "print sites, cameras, recorders, storage and fibre load").set_defaults(
        func=cmd_summary
    )
    pl = with_dir("plan", "Markdown of what the working tree changes against a git ref")
    pl.add_argument("--base", default="HEAD", help="git ref to compare with (default: HEAD)")
    pl.add_argument("--picture", type=Path, help="also write the fibre tree as SVG there")
    pl.set_defaults(func=cmd_plan)
    rv = with_dir("review", "check a pull request against its target branch")
    rv.add_argument("--base", required=True, help="target branch, e.g. origin/main")
    rv.add_argument("--commune", help="INSEE code of the commune opening the pull request")
    rv.add_argument("--format", choices=("text", "github", "gitlab"), default="text")
    rv.set_defaults(func=cmd_review)
    cm = sub.add_parser("commune", help="a commune opts in").add_subparsers(
        dest="commune_command", required=True
    )
    from vigie.commune import add_arguments

    new = cm.add_parser("new", help="write communes/<insee>-<slug>.yml, validate, lock")
    add_arguments(new)
    new.set_defaults(func=cmd_commune_new)
    ce = with_dir("central", "the datacenter services' identities and broker ACL")
    ce.add_argument("--format", choices=("json", "acl"), default="json")
    ce.set_defaults(func=cmd_central)
    g = sub.add_parser("generate", help="write a deterministic synthetic département")
    g.add_argument("outdir")
    g.add_argument("--cameras", type=int, required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument(
        "--replace",
        action="store_true",
        help="OUTDIR exists and is not empty: delete everything in it first",
    )
    g.set_defaults(func=cmd_generate)
    sub.add_parser(
        "rules",
        help="list every rule (validation, access decision, opt-in, file reading) with its source",
    ).set_defaults(func=cmd_rules)
    from vigie.access_policy.cli import register as register_access
    from vigie.audit.cli import register as register_audit

    register_access(sub, _directory)
    register_audit(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `vigie ... | head`
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
