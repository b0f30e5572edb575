"""`vigie access explain|matrix|export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EVENTS = ("intrusion", "tamper", "fire", "alarm", "alarm-intrusion", "alarm-fire", "requisition")


def _load(directory: Path):
    from vigie.loader import check_inventory

    inv, diags = check_inventory(directory)
    errors = [d for d in diags if d.severity == "error"]
    for d in errors:
        print(d.format(), file=sys.stderr)
    return None if inv is None or errors else inv


def _policy(inv):
    from vigie.access_policy.policy import AccessPolicy, PolicyRejected

    try:
        return AccessPolicy.from_inventory(inv)
    except PolicyRejected as exc:
        for error in exc.errors:
            print(f"policy: ACCESS-SCHEMA: {error}", file=sys.stderr)
        return None


def cmd_explain(args: argparse.Namespace) -> int:
    from vigie.access_policy.report import expand_events, explain

    inv = _load(args.dir)
    policy = inv and _policy(inv)
    if policy is None:
        return EXIT_INVALID
    site, _, cam = args.camera.partition("/")
    if site not in inv.sites or cam not in {c.id for c in inv.sites[site].cameras}:
        print(f"vigie access explain: no camera {args.camera!r} (SITE/CAMERA)", file=sys.stderr)
        return EXIT_USAGE
    text, agree = explain(inv, policy, args.camera, expand_events(args.event))
    sys.stdout.write(text)
    return EXIT_OK if agree else EXIT_INVALID


def cmd_matrix(args: argparse.Namespace) -> int:
    from vigie.access_policy.report import matrix

    inv = _load(args.dir)
    policy = inv and _policy(inv)
    if policy is None:
        return EXIT_INVALID
    sys.stdout.write(matrix(inv, policy, args.format))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from vigie.access_policy.cedar import check_policies, export_files

    inv = _load(args.dir)
    if inv is None:
        return EXIT_INVALID
    files = export_files(inv)
    errors = check_policies(files["vigie.cedar"])
    if errors:
        for error in errors:
            print(f"policy: ACCESS-SCHEMA: {error} (not exported)", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"{out}: " + ", ".join(sorted(files)), file=sys.stderr)
    return EXIT_OK


def register(sub, directory_type) -> None:
    p = sub.add_parser("access", help="who may see which footage: explain, matrix, export")
    acc = p.add_subparsers(dest="access_command", required=True)
    e = acc.add_parser("explain", help="who would get what at a camera, and the rule behind each")
    e.add_argument("dir", type=directory_type, help="inventory directory")
    e.add_argument("camera", help="SITE/CAMERA, e.g. col-houdan/portail")
    e.add_argument("--event", choices=EVENTS, default=None)
    e.set_defaults(func=cmd_explain)
    m = acc.add_parser("matrix", help="camera x agency x event class (préfecture, CNIL, DPO)")
    m.add_argument("dir", type=directory_type)
    m.add_argument("--format", choices=("md", "csv"), default="md")
    m.set_defaults(func=cmd_matrix)
    x = acc.add_parser("export", help="write the Cedar schema, policies and entities")
    x.add_argument("dir", type=directory_type)
    x.add_argument("out")
    x.set_defaults(func=cmd_export)
