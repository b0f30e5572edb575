"""`vigie audit verify|verify-all|show|cosign|follow|keygen`."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
FILTERS = ("camera", "agency", "operator", "event", "action", "decision")


def _verifier(path: str, kind: int | None = None, what: str = "key"):
    """A C2SP verifier key from its file, or None after a one-line error."""
    from vigie.audit.note import NoteError, Verifier

    try:
        key = Verifier.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, NoteError) as exc:  # UnicodeDecodeError is a ValueError
        print(f"vigie audit: {path}: {_one_line(exc)}", file=sys.stderr)
        return None
    if kind is not None and key.kind != kind:
        print(f"vigie audit: {path}: not a {what}", file=sys.stderr)
        return None
    return key


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _witness_state(values: list[str]) -> tuple[int, bytes]:
    """`SIZE ROOT` (root in base64 or hex) or the witness's state file (JSON with
    `size` and base64 `root`, as `vigie audit cosign --state` writes it)."""
    if len(values) == 1:
        try:
            data = json.loads(Path(values[0]).read_text(encoding="utf-8"))
            values = [str(data["size"]), str(data["root"])]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{values[0]}: not a witness state file: {_one_line(exc)}") from None
    if len(values) != 2:
        raise ValueError("--witness-state takes SIZE ROOT or the witness's state file")
    size_text, root_text = values
    if not size_text.isdigit():
        raise ValueError(f"witness state: size {size_text!r} is not a number")
    try:
        root = (
            bytes.fromhex(root_text)
            if len(root_text) == 64
            else base64.b64decode(root_text, validate=True)
        )
    except ValueError:
        root = b""
    if int(size_text) and len(root) != 32:
        raise ValueError(f"witness state: root {root_text!r} is not a SHA-256 hash")
    return int(size_text), root


def _keys(args: argparse.Namespace):
    """(journal key, witness key or None) from `--key` and `--witness`, or None after a
    one-line error."""
    from vigie.audit.note import COSIGNATURE, ED25519

    key = _verifier(args.key, ED25519, "journal (Ed25519) key")
    if key is None:
        return None
    witness = None
    if args.witness:
        witness = _verifier(args.witness)
        if witness is None:
            return None
        if witness.same_key(key):
            print(
                f"vigie audit: {args.witness}: the journal's own key, not a witness's "
                "(its signatures would count as cosignatures)",
                file=sys.stderr,
            )
            return None
        if witness.kind != COSIGNATURE:
            print(f"vigie audit: {args.witness}: not a witness (cosignature) key", file=sys.stderr)
            return None
    return key, witness


def cmd_verify(args: argparse.Namespace) -> int:
    from vigie.audit.verify import verify

    if args.journal is None:  # `--witness-state ... JOURNAL`: the option took it
        state = args.witness_state or []
        if len(state) == 3 or (len(state) == 2 and not state[0].isdigit()):
            args.journal = state.pop()
        else:
            print("vigie audit verify: the journal directory is required", file=sys.stderr)
            return EXIT_USAGE
    keys = _keys(args)
    if keys is None:
        return EXIT_USAGE
    key, witness = keys
    state = None
    if args.witness_state:
        try:
            state = _witness_state(args.witness_state)
        except ValueError as exc:
            print(f"vigie audit: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if (args.entry is not None and args.entry < 0) or (
        args.max_unsigned is not None and args.max_unsigned < 0
    ):
        print("vigie audit: --entry and --max-unsigned are 0 or more", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = verify(
            args.journal,
            key,
            witness,
            entry=args.entry,
            witness_state=state,
            max_unsigned=args.max_unsigned,
        )
    except OSError as exc:
        print(f"vigie audit: {args.journal}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    for problem in report.problems:
        print(f"{args.journal}: {problem}")
    if report.ok:
        print(
            f"{args.journal}: ok: {report.size} entries, {report.checkpoints} signed "
            f"checkpoints, {report.cosigned} cosigned by the witness"
            + (f" (entries up to {report.witnessed} witnessed)" if args.witness else "")
            + (f", consistent with the witness's state at {state[0]}" if state else "")
            + (
                f"; {report.unsigned} entries after the last signed checkpoint"
                if report.unsigned
                else ""
            ),
            file=sys.stderr,
        )
    return EXIT_OK if report.ok else EXIT_INVALID


def cmd_verify_all(args: argparse.Namespace) -> int:
    """Every monthly journal of a set, and the chain that links them."""
    from vigie.audit.note import NoteError
    from vigie.audit.verify import SetError, verify_set

    keys = _keys(args)
    if keys is None:
        return EXIT_USAGE
    if args.retention_days < 1 or (args.max_unsigned is not None and args.max_unsigned < 0):
        print("vigie audit: --retention-days is 1 or more, --max-unsigned 0 or more",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    try:
        report = verify_set(
            args.root,
            *keys,
            retention_days=args.retention_days,
            max_unsigned=args.max_unsigned,
        )
    except SetError as exc:
        print(f"vigie audit: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError, NoteError) as exc:  # unreadable, undecodable
        print(f"vigie audit: {args.root}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    for problem in report.problems:
        print(f"{args.root}: {problem}")
    for note in report.notes:
        print(f"{args.root}: {note}", file=sys.stderr)
    if report.ok:
        print(
            f"{args.root}: ok: {len(report.months)} monthly journals chained "
            f"({report.months[0]}..{report.months[-1]}), {report.size} entries",
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


SHOW_LEGEND = (
    "# décision : autorisé ou refusé; action, service, opérateur et caméra : identifiants de "
    "l'inventaire; règle : identifiant stable de la règle de décision (`vigie rules`), ses "
    "textes sont liés dans docs/sources.md"
)


def _show_header(journal: str) -> str:
    columns = [
        f"{'n°':>8}",
        f"{'date (heure de Paris, Europe/Paris)':44}",
        f"{'décision':8}",
        f"{'action':18}",
        f"{'qui':24}",
        f"{'caméra':28}",
        "règle",
        "motif",
    ]
    return (
        f"# Journal d'audit {journal} : une ligne par décision d'accès aux images\n"
        f"{SHOW_LEGEND}\n" + " ".join(columns) + "\n"
    )


def cmd_show(args: argparse.Namespace) -> int:
    from vigie.audit.journal import ENTRIES
    from vigie.labels import DECISIONS, datetime_fr

    path = Path(args.journal) / ENTRIES
    if not path.is_file():
        print(f"vigie audit show: no journal at {args.journal}", file=sys.stderr)
        return EXIT_USAGE
    header = args.format != "json"
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
            if header:
                sys.stdout.write(_show_header(args.journal))
                header = False
            actor = entry.get("actor") or {}
            who = actor.get("operator") or actor.get("agency") or "-"
            decision = entry.get("decision", "")
            fields = [
                f"{entry['seq']:>8}",
                f"{datetime_fr(entry.get('time')):44}",
                f"{DECISIONS.get(decision, decision):8}",
                f"{entry.get('action', ''):18}",
                f"{who:24}",
                f"{entry.get('camera') or '-':28}",
                entry.get("rule") or "",
                entry.get("reason") or "",
            ]
            sys.stdout.write(" ".join(fields).rstrip() + "\n")
    if header:
        print(f"{args.journal}: aucune entrée ne correspond", file=sys.stderr)
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
    except (OSError, ValueError, TypeError, NoteError) as exc:
        print(f"vigie audit cosign: {args.witness_key}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    journal = Path(args.journal)
    try:
        notes = read_checkpoints(journal)
    except (OSError, ValueError, NoteError) as exc:
        print(f"{journal}: WITNESS-REFUSED: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INVALID
    if not notes:
        print(f"{journal}: no checkpoint to cosign", file=sys.stderr)
        return EXIT_INVALID
    try:
        witness = Witness(signer, log, args.state)
        old = witness.last()[0]
    except WitnessRefused as exc:
        print(f"vigie audit cosign: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    new = notes[-1].checkpoint().size
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


def cmd_follow(args: argparse.Namespace) -> int:
    """The witness's timer: pull the journal into its own copy (append-only), refuse a
    rewrite, cosign the latest checkpoint. Exit 1 on a refusal, nothing written."""
    from http.client import HTTPException

    from vigie.audit.follow import FolderSource, FollowRefused, HttpsSource, follow
    from vigie.audit.note import COSIGNATURE, ED25519, NoteError, Signer

    log = _verifier(args.log_key, ED25519, "journal (Ed25519) key")
    if log is None:
        return EXIT_USAGE
    try:
        signer = Signer.from_pem(args.name, Path(args.witness_key).read_bytes(), COSIGNATURE)
        if args.source.startswith("https://"):
            if not (args.ca and args.tls_cert and args.tls_key):
                raise ValueError("an https source needs --ca, --tls-cert and --tls-key")
            source = HttpsSource(args.source, ca=args.ca, cert=args.tls_cert, key=args.tls_key)
        else:
            source = FolderSource(args.source)
    except (OSError, ValueError, TypeError, NoteError) as exc:
        print(f"vigie audit follow: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    done, outcome = [], "ok"
    try:
        done = follow(source, args.copy, args.state, signer, log)
    except FollowRefused as exc:
        outcome = "refused"
        print(f"{args.source}: JOURNAL-REFUSED: {_one_line(exc)}; copy and state kept",
              file=sys.stderr)  # fmt: skip
    except (OSError, ValueError, HTTPException) as exc:  # ssl errors are OSErrors
        outcome = "unreachable"
        print(f"{args.source}: unreachable: {_one_line(exc)}; copy and state kept",
              file=sys.stderr)  # fmt: skip
    for f in done:
        what = f"cosigned {f.cosigned}" if f.cosigned else "nothing new to cosign"
        print(f"{f.journal or 'journal'}: {f.size} entries held, {what} (was {f.previous})")
    if args.metrics and not _write_follow_metrics(args.metrics, outcome, done):
        return EXIT_INVALID
    return EXIT_OK if outcome == "ok" else EXIT_INVALID


def _write_follow_metrics(path: str, outcome: str, done: list) -> bool:
    """The run's outcome for the alert rules; a witness that cannot say it failed fails."""
    import time

    from vigie.audit import follow_metrics

    try:
        follow_metrics.write(path, now=time.time(), outcome=outcome, done=done)
    except OSError as exc:
        print(f"vigie audit follow: metrics not written: {_one_line(exc)}", file=sys.stderr)
        return False
    return True


def register(sub) -> None:
    p = sub.add_parser(
        "audit", help="the audit journal: verify, verify-all, show, cosign, follow, keygen"
    )
    aud = p.add_subparsers(dest="audit_command", required=True)
    v = aud.add_parser(
        "verify", help="recompute the tree, check signatures; name the first bad entry"
    )
    v.add_argument("journal", nargs="?", help="journal directory")
    v.add_argument("--key", required=True, help="the journal's verifier key file (NAME.pub)")
    v.add_argument("--witness", help="the witness's verifier key file")
    v.add_argument("--entry", type=int, help="also prove this entry's inclusion")
    v.add_argument(
        "--witness-state",
        nargs="+",
        metavar="STATE",
        help="SIZE ROOT the witness last cosigned (root in base64 or hex), or the "
        "witness's state file: the journal must still hold that tree",
    )
    v.add_argument(
        "--max-unsigned",
        type=int,
        metavar="N",
        help="fail when more than N entries follow the last signed checkpoint",
    )
    v.set_defaults(func=cmd_verify)
    a = aud.add_parser(
        "verify-all",
        help="every monthly journal of a set and the chain linking them (name what is gone)",
    )
    a.add_argument("root", help="the folder of monthly journals (YYYY-MM/)")
    a.add_argument("--key", required=True, help="the journal's verifier key file (NAME.pub)")
    a.add_argument("--witness", help="the witness's verifier key file")
    a.add_argument(
        "--retention-days",
        type=int,
        default=1095,
        metavar="DAYS",
        help="the journal's retention (access.journal_retention_days): months removed "
        "from the start past it are accepted (default 1095)",
    )
    a.add_argument(
        "--max-unsigned",
        type=int,
        metavar="N",
        help="fail when more than N entries of a month follow its last signed checkpoint",
    )
    a.set_defaults(func=cmd_verify_all)
    s = aud.add_parser("show", help="list entries, filtered (text: in French, dates in Paris time)")
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
    f = aud.add_parser(
        "follow", help="the witness: pull the journal (append-only copy), refuse a rewrite, cosign"
    )
    f.add_argument("source", help="https://CENTRAL/journal/ or a journal folder")
    f.add_argument("--copy", required=True, help="the witness's copy of the journal")
    f.add_argument("--state", required=True, help="folder of the witness's state files")
    f.add_argument("--witness-key", required=True, help="the witness's private key (PEM)")
    f.add_argument("--name", required=True, help="the witness's key name, e.g. dpo-78")
    f.add_argument("--log-key", required=True, help="the journal's verifier key file")
    f.add_argument("--ca", help="the platform's CA certificate (https source)")
    f.add_argument("--tls-cert", help="the witness's client certificate (https source)")
    f.add_argument("--tls-key", help="its key (https source)")
    f.add_argument(
        "--metrics",
        metavar="FILE",
        help="replace FILE with the run's outcome in Prometheus text format "
        "(node exporter's textfile collector; roles/witness's alert rules)",
    )
    f.set_defaults(func=cmd_follow)
    k = aud.add_parser("keygen", help="an Ed25519 key pair for the journal or its witness")
    k.add_argument("name", help="key name, e.g. vigie-journal-78 or dpo-78")
    k.add_argument("out", help="directory for NAME.key (0600) and NAME.pub")
    k.add_argument("--witness", action="store_true", help="a witness (cosignature) key")
    k.set_defaults(func=cmd_keygen)
