"""`vigie audit verify|show|cosign|keygen`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
FILTERS = ("camera", "agency", "operator", "event", "action", "decision")


def _verifier(path: str):
    from vigie.audit.note import NoteError, Verifier

    try:
        return Verifier.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, NoteError) as exc:
        print(f"vigie audit: {path}: {exc}", file=sys.stderr)
        return None


def cmd_verify(args: argparse.Namespace) -> int:
    from vigie.audit.verify import verify

    key = _verifier(args.key)
    witness = _verifier(args.witness) if args.witness else None
    if key is None or (args.witness and witness is None):
        return EXIT_USAGE
    report = verify(args.journal, key, witness, entry=args.entry)
    for problem in report.problems:
        print(f"{args.journal}: {problem}")
    if report.ok:
        print(
            f"{args.journal}: ok: {report.size} entries, {report.checkpoints} signed "
            f"checkpoints, {report.cosigned} cosigned by the witness"
            + (f" (entries up to {report.witnessed} witnessed)" if args.witness else ""),
            file=sys.stderr,
        )
    return EXIT_OK if report.ok else EXIT_INVALID


def _matches(entry: dict, args: argparse.Namespace) -> bool:
    actor = entry.get("actor") or {}
    values = {
        "camera": entry.get("camera"),
        "agency": actor.get("agency"),
        "operator": actor.get("operator"),
        "event": entry.get("event"),
        "action": entry.get("action"),
        "decision": entry.get("decision"),
    }
    return all(getattr(args, f) in (None, values[f]) for f in FILTERS)


def cmd_show(args: argparse.Namespace) -> int:
    from vigie.audit.journal import ENTRIES

    path = Path(args.journal) / ENTRIES
    if not path.is_file():
        print(f"vigie audit show: no journal at {args.journal}", file=sys.stderr)
        return EXIT_USAGE
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                print(f"{args.journal}: entry unreadable: {line[:60]!r}", file=sys.stderr)
                return EXIT_INVALID
            if not _matches(entry, args):
                continue
            if args.format == "json":
                sys.stdout.write(line)
                continue
            actor = entry.get("actor") or {}
            who = actor.get("operator") or actor.get("agency") or "-"
            fields = [
                f"{entry['seq']:>8}",
                f"{entry.get('time', '')!s:>14}",
                f"{entry.get('decision', ''):5}",
                f"{entry.get('action', ''):18}",
                f"{who:24}",
                f"{entry.get('camera') or '-':28}",
                entry.get("rule") or "",
                entry.get("reason") or "",
            ]
            sys.stdout.write(" ".join(fields).rstrip() + "\n")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    from vigie.audit.note import COSIGNATURE, ED25519, Signer

    signer = Signer.generate(args.name, COSIGNATURE if args.witness else ED25519)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    private = out / f"{args.name}.key"
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(signer.pem())
    (out / f"{args.name}.pub").write_text(signer.verifier.text() + "\n", encoding="utf-8")
    print(f"{private} (private, keep off the repository), {out / args.name}.pub", file=sys.stderr)
    return EXIT_OK


def cmd_cosign(args: argparse.Namespace) -> int:
    """The witness (the DPO's key, on the DPO's host): cosign the journal's latest
    checkpoint after checking it is consistent with the last one it cosigned."""
    from vigie.audit.journal import CHECKPOINTS, ENTRIES, checkpoint_name, read_checkpoints
    from vigie.audit.merkle import Levels, leaf_hash
    from vigie.audit.note import COSIGNATURE, NoteError, Signer
    from vigie.audit.witness import Witness, WitnessRefused

    log = _verifier(args.log_key)
    if log is None:
        return EXIT_USAGE
    try:
        signer = Signer.from_pem(args.name, Path(args.witness_key).read_bytes(), COSIGNATURE)
    except (OSError, ValueError, NoteError) as exc:
        print(f"vigie audit cosign: {args.witness_key}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    journal = Path(args.journal)
    notes = read_checkpoints(journal)
    if not notes:
        print(f"{journal}: no checkpoint to cosign", file=sys.stderr)
        return EXIT_INVALID
    witness = Witness(signer, log, args.state)
    new = notes[-1].checkpoint().size
    old = witness.last()[0]
    lines = (journal / ENTRIES).read_bytes().split(b"\n")[:-1]
    if new > len(lines) or old > new:
        print(f"{journal}: WITNESS-REFUSED: checkpoint {new} beyond the entries", file=sys.stderr)
        return EXIT_INVALID
    proof = Levels([leaf_hash(x) for x in lines[:new]]).consistency(old, new)
    try:
        cosigned = witness.cosign(notes[-1].text(), proof)
    except WitnessRefused as exc:
        print(f"{journal}: WITNESS-REFUSED: {exc}")
        return EXIT_INVALID
    (journal / CHECKPOINTS / checkpoint_name(new)).write_text(cosigned, encoding="utf-8")
    print(f"{journal}: checkpoint {new} cosigned by {args.name} (consistent with {old})")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser("audit", help="the audit journal: verify, show, keygen")
    aud = p.add_subparsers(dest="audit_command", required=True)
    v = aud.add_parser(
        "verify", help="recompute the tree, check signatures; name the first bad entry"
    )
    v.add_argument("journal", help="journal directory")
    v.add_argument("--key", required=True, help="the journal's verifier key file (NAME.pub)")
    v.add_argument("--witness", help="the witness's verifier key file")
    v.add_argument("--entry", type=int, help="also prove this entry's inclusion")
    v.set_defaults(func=cmd_verify)
    s = aud.add_parser("show", help="list entries, filtered")
    s.add_argument("journal")
    for f in FILTERS:
        s.add_argument(f"--{f}")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.set_defaults(func=cmd_show)
    c = aud.add_parser("cosign", help="the witness: cosign the latest checkpoint if consistent")
    c.add_argument("journal")
    c.add_argument("--witness-key", required=True, help="the witness's private key (PEM)")
    c.add_argument("--name", required=True, help="the witness's key name, e.g. dpo-78")
    c.add_argument("--log-key", required=True, help="the journal's verifier key file")
    c.add_argument("--state", required=True, help="the witness's own state file")
    c.set_defaults(func=cmd_cosign)
    k = aud.add_parser("keygen", help="an Ed25519 key pair for the journal or its witness")
    k.add_argument("name", help="key name, e.g. vigie-journal-78 or dpo-78")
    k.add_argument("out", help="directory for NAME.key (0600) and NAME.pub")
    k.add_argument("--witness", action="store_true", help="a witness (cosignature) key")
    k.set_defaults(func=cmd_keygen)
