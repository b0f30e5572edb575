"""Every command README.md and docs/*.md quote, run or checked against the tools.

Quoted commands are the lines of shell code blocks (sh, bash, shell, console,
text or unlabelled; `$ ` stripped, `\\` continuations joined, indented lines such
as diagrams skipped) and inline `code` spans, split on `&&`, `||` and `;`, with
leading `VAR=value` assignments and `time` dropped, that start with `vigie `,
`ansible-playbook `, `ansible-inventory `, `python -m vigie_detector ` or `make `.
In a README table, bare targets following `make X` in the same cell
(`make test-inventory`, `test-pulumi`, ...) are make targets too.

- `vigie ...` runs in this process (its `main()`), in a fresh scratch copy of
  `inventories/` made a git repository (branch `main`, and `origin/main` as a clone
  has it), so that a command that writes (`vigie commune new`, `vigie lock`,
  `vigie generate OUT`, `vigie plan --picture`) never touches the repository. Its
  exit code must be the one the doc implies: 0, unless EXPECTED_EXIT says the doc
  shows a failure. A mention of a subcommand without its arguments (`vigie audit
  verify`, `vigie plan --base <target>`) is checked against the parser: the
  subcommand and every flag named exist.
- `ansible-playbook ...` runs from the repository root with `--list-hosts` added
  when the doc gives none of `--list-hosts`, `--list-tasks`, `--syntax-check` (so
  nothing is provisioned); every `--limit` pattern must match hosts.
  `ansible-inventory ...` runs as quoted.
- `make TARGET` is looked up in make's database (`make -pq`), never run: `make -n`
  would run the recipes that call `$(MAKE)` (`make test`, `make lab`).
- `python -m vigie_detector SUB ...`: SUB and every flag must be in `SUB --help`,
  and the `--config` file must exist. No footage is read.

Placeholders (`DIR`, `SITE/CAM`, `78xxx`, `JOURNAL`, `PUB`, `<insee>`, ...) become
real values from PLACEHOLDERS: the pilot inventory, a real camera, a journal and
keys made here with vigie.audit. A placeholder missing from the table fails the
test, naming it: a new doc command cannot escape by using a new placeholder.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.inventory.inventories import git

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PREFIXES = (
    "vigie ",
    "ansible-playbook ",
    "ansible-inventory ",
    "python -m vigie_detector ",
    "make ",
)
SHELL_BLOCKS = {"", "sh", "bash", "shell", "console", "text"}
VENV_BIN = Path(sys.executable).parent

CAMERA = "col-houdan/portail"  # a real camera of the pilot
SITE_GROUP = "site_col_houdan"  # its site's Ansible group
INSEE = "78003"  # Ablis: a commune of the département that has not opted in
TODAY = dt.date.today().isoformat()

# Placeholder -> value. A dict chooses by context: the flag before the placeholder,
# else a word of the command (its subcommand), else None. `{name}` is a path made by
# the `material` fixture (keys, journal, journal set, scratch output).
PLACEHOLDERS: dict[str, str | dict[str | None, str]] = {
    "DIR": "inventories/pilot",
    "SITE/CAM": CAMERA,
    "SITE/CAMERA": CAMERA,
    "78xxx": INSEE,
    "<insee>": INSEE,
    "<target>": "origin/main",
    "<target_branch>": "origin/main",
    "GIT_REF": "origin/main",
    "YYYY-MM-DD": TODAY,
    "OUT": "{out}",
    "OUT/": "{out}/",
    "OUTDIR": "{out}",
    "N": {"--cameras": "200", "--max-unsigned": "1000", None: "1000"},
    "S": "7",
    "JOURNAL": "{journal}",
    "/var/lib/vigie-access/journal": {"verify-all": "{journal_set}", None: "{journal}"},
    "PUB": {"--witness": "{witness_pub}", None: "{journal_pub}"},
    "journal.vkey": "{journal_pub}",
    "dpo-78.pub": "{witness_pub}",
    "dpo-78-state.json": "{witness_state}",
    "<root,_base64_or_hex>": "{witness_root}",
    "123456": {"--entry": "42", None: "123456"},  # the doc's entry: this journal is shorter
    "ONE_SITE": SITE_GROUP,
    "<role>": "recorder",
    "VIDEO": "footage.mp4",  # vigie_detector: flags checked, never run
    "F.jsonl": "events.jsonl",
}
# A word left unsubstituted that matches this is a placeholder the table lacks.
LOOKS_LIKE_A_PLACEHOLDER = re.compile(
    r"<[^<>]*>|^[A-Z][A-Z0-9_]*(/[A-Z][A-Z0-9_]*)*/?$|\d*xx+|YYYY|\bMM\b|\bDD\b|\.\.\.|…"
)

# What the terminal of `vigie commune new` would be told, for a doc command that
# leaves the questions to it (only the flags the command does not give are added).
TERMINAL_ANSWERS = {
    ("commune", "new"): {
        "--authorisation": "AP-78-2026-0001",
        "--issued": "2025-12-01",
        "--expires": "2030-11-30",
        "--retention-days": "15",
        "--force": "gendarmerie",
        "--police-municipale": "none",
        "--uplink": "pop-rambouillet",
        "--camera": "parvis:street:road",
    },
}

# Commands the doc shows failing: quoted text -> exit code. None today.
EXPECTED_EXIT: dict[str, int] = {}

# `--limit` patterns allowed to match nothing, and why.
UNMATCHED_LIMIT_OK = {
    "site_mairie_ablis": "the site docs/opt-in.md's walkthrough adds before this command",
}


@dataclass(frozen=True)
class Quoted:
    doc: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


def _commands_in(text: str) -> list[str]:
    """The parts of a shell line that are commands of interest."""
    found = []
    for part in re.split(r"\s*(?:&&|\|\||;)\s*", text.strip()):
        part = re.sub(r"^(?:time\s+|[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+", "", part)
        if part.startswith(PREFIXES):
            found.append(part)
    return found


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def quoted_commands() -> list[Quoted]:
    found: list[Quoted] = []
    fence = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", flags=re.M | re.S)
    for path in DOCS:
        doc = path.relative_to(REPO).as_posix()
        text = path.read_text(encoding="utf-8")
        for block in fence.finditer(text):
            if block.group(1) not in SHELL_BLOCKS:
                continue
            first = text.count("\n", 0, block.start(2)) + 1
            pending, start = "", first
            for offset, line in enumerate(block.group(2).splitlines()):
                if not pending:
                    start = first + offset
                if line.endswith("\\"):
                    pending += line[:-1] + " "
                    continue
                line, pending = pending + line, ""
                line = line.removeprefix("$ ")
                if not line or line[0].isspace() or line.startswith("#"):
                    continue
                found += [Quoted(doc, start, c) for c in _commands_in(line)]
        prose = fence.sub(_blank, text)
        previous_make: tuple[int, int] | None = None  # (line, end) of the last `make X`
        for span in re.finditer(r"(?<!`)`([^`]+)`(?!`)", prose):
            line = prose.count("\n", 0, span.start()) + 1
            code = " ".join(span.group(1).split())
            commands = _commands_in(code)
            if (
                not commands
                and previous_make
                and previous_make[0] == line
                and prose[previous_make[1] : span.start()].strip() == ","
                and re.fullmatch(r"[a-z][\w<>-]*", code)
            ):
                commands = [f"make {code}"]  # `make test-inventory`, `test-pulumi`
            found += [Quoted(doc, line, c) for c in commands]
            is_make = bool(commands) and commands[-1].startswith("make ")
            previous_make = (line, span.end()) if is_make else None
    return found


COMMANDS = quoted_commands()


def _substitute(q: Quoted, material: dict[str, str]) -> list[str]:
    """The command's words, placeholders replaced; fails on an unknown placeholder."""
    text = re.sub(r"<([^<>]*)>", lambda m: "<" + "_".join(m.group(1).split()) + ">", q.text)
    text = re.sub(r"\[\s*(-[^\[\]]*)\]", r"\1", text)  # optional parts: included
    words = shlex.split(text, comments=True)
    out: list[str] = []
    for word in words:
        if "|" in word and not word.startswith("-"):  # intrusion|tamper|fire: the first
            word = word.split("|")[0]
        value = PLACEHOLDERS.get(word)
        if value is None and "<" in word:  # molecule-<role>
            word = re.sub(
                r"<[^<>]*>",
                lambda m: v if isinstance(v := PLACEHOLDERS.get(m.group(0)), str) else m.group(0),
                word,
            )
        if isinstance(value, dict):
            context = [out[-1] if out else None, *words[:4], None]
            value = next(value[c] for c in context if c in value)
        if value is None:
            if LOOKS_LIKE_A_PLACEHOLDER.search(word):
                pytest.fail(
                    f"{q}: unknown placeholder {word!r}: give it a real value in "
                    f"PLACEHOLDERS ({Path(__file__).relative_to(REPO)})",
                    pytrace=False,
                )
            out.append(word)
            continue
        out.append(value.format(**material))
    return out


# --- material: keys, a journal, a set of monthly journals, a scratch repository


def _vigie(argv: list[str]) -> tuple[int, str, str]:
    from vigie.cli import main

    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO("")  # never a terminal: no question is asked
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


def _ok(argv: list[str]) -> str:
    code, out, err = _vigie(argv)
    assert code == 0, f"vigie {shlex.join(argv)}: exit {code}\n{out}\n{err}"
    return out


@pytest.fixture(scope="module")
def material(tmp_path_factory) -> dict[str, str]:
    from vigie.audit.journal import Journal
    from vigie.audit.note import Signer
    from vigie.audit.retention import JournalSet

    base = tmp_path_factory.mktemp("docs-material")
    keys = base / "keys"
    _ok(["audit", "keygen", "vigie-journal-78", str(keys)])
    _ok(["audit", "keygen", "dpo-78", str(keys), "--witness"])
    key = Signer.from_pem("vigie-journal-78", (keys / "vigie-journal-78.key").read_bytes())
    cosign = [
        "--witness-key",
        str(keys / "dpo-78.key"),
        "--name",
        "dpo-78",
        "--log-key",
        str(keys / "vigie-journal-78.pub"),
    ]

    journal = base / "journal"
    with Journal(journal, key, checkpoint_every=250, checkpoint_interval_s=1e9) as j:
        for i in range(250):  # the doc's `--witness-state 250 <root>`: signed at 250
            j.append(
                {
                    "action": "segment_allowed" if i % 3 else "grant_created",
                    "decision": "allow",
                    "actor": {"agency": "ggd78", "operator": "ggd78/op-0007"},
                    "camera": CAMERA,
                    "event": f"ev-{i // 10}",
                    "rule": "ACCESS-FORCE-COMPETENT",
                    "reason": "token valid, segment inside the window",
                }
            )
    state = base / "dpo-78-state.json"
    _ok(["audit", "cosign", str(journal), *cosign, "--state", str(state)])
    root = base64.b64decode(json.loads(state.read_text())["root"]).hex()

    journal_set = base / "journal-set"
    now = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
    months = JournalSet(journal_set, key, clock=lambda: now[0].timestamp())
    for month in (1, 2, 3):
        now[0] = dt.datetime(2026, month, 10, tzinfo=dt.UTC)
        for i in range(3):
            months.append({"action": "segment_allowed", "decision": "allow", "n": i})
    months.close()
    for month in sorted(p for p in journal_set.iterdir() if p.is_dir()):
        _ok(["audit", "cosign", str(month), *cosign, "--state", str(base / f"{month.name}.json")])

    template = base / "repository"
    shutil.copytree(REPO / "inventories", template / "inventories")
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "inventories")
    git(template, "update-ref", "refs/remotes/origin/main", "HEAD")  # as in a clone
    return {
        "journal": str(journal),
        "journal_set": str(journal_set),
        "journal_pub": str(keys / "vigie-journal-78.pub"),
        "witness_pub": str(keys / "dpo-78.pub"),
        "witness_state": str(state),
        "witness_root": root,
        "template": str(template),
        "out": str(base / "unused-out"),  # replaced per command
    }


# --- vigie


def _leaf(words: list[str]) -> tuple[argparse.ArgumentParser, list[str], list[str]]:
    """The subcommand's parser, its path and the words after it."""
    from vigie.cli import parser

    p, path, rest = parser(), [], list(words)
    while True:
        subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return p, path, rest
        if not rest or rest[0] not in subs[0].choices:
            pytest.fail(
                f"vigie {' '.join(path)}: no subcommand {rest[:1]}; "
                f"one of {sorted(subs[0].choices)}",
                pytrace=False,
            )
        p, path, rest = subs[0].choices[rest[0]], [*path, rest[0]], rest[1:]


def _positionals_given(p: argparse.ArgumentParser, words: list[str], q: Quoted) -> int:
    given, i = 0, 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-"):
            given, i = given + 1, i + 1
            continue
        action = p._option_string_actions.get(word.split("=")[0])
        if action is None:
            pytest.fail(f"{q}: vigie has no flag {word} here", pytrace=False)
        i += 1
        if "=" in word or action.nargs == 0:
            continue
        if action.nargs in ("+", "*"):
            while i < len(words) and not words[i].startswith("-"):
                i += 1
        else:
            i += action.nargs if isinstance(action.nargs, int) else 1
    return given


def _run_vigie(q: Quoted, material: dict[str, str], scratch: Path) -> None:
    values = {**material, "out": str(scratch / "out")}
    words = _substitute(q, values)[1:]
    p, path, rest = _leaf(words)
    takes_positionals = any(not a.option_strings for a in p._actions)
    needs_arguments = any(a.required for a in p._actions)
    if (takes_positionals and not _positionals_given(p, rest, q)) or (needs_arguments and not rest):
        return  # a mention (`vigie audit verify`): the subcommand and its flags exist
    for flag, value in TERMINAL_ANSWERS.get(tuple(path), {}).items():
        if flag not in rest:
            rest += [flag, value]
    repo = scratch / "repository"
    shutil.copytree(material["template"], repo, symlinks=True)
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        code, out, err = _vigie([*path, *rest])
    finally:
        os.chdir(cwd)
    expected = EXPECTED_EXIT.get(q.text, 0)
    assert code == expected, (
        f"{q}\nran: vigie {shlex.join([*path, *rest])} (in a copy of inventories/)\n"
        f"exit {code}, the doc implies {expected}\n--- stdout\n{out[-3000:]}\n"
        f"--- stderr\n{err[-3000:]}"
    )


# --- Ansible

_ANSIBLE_RUNS: dict[tuple[str, ...], subprocess.CompletedProcess] = {}


def _run_ansible(q: Quoted, material: dict[str, str]) -> None:
    words = _substitute(q, material)
    if words[0] == "ansible-playbook" and not {
        "--list-hosts",
        "--list-tasks",
        "--syntax-check",
    } & set(words):
        words.append("--list-hosts")  # never provision: which hosts it would touch
    done = _ANSIBLE_RUNS.get(tuple(words))
    if done is None:  # the same command quoted twice runs once
        env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
        env["ANSIBLE_CONFIG"] = "ansible.cfg"
        done = subprocess.run(
            words, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        _ANSIBLE_RUNS[tuple(words)] = done
    expected = EXPECTED_EXIT.get(q.text, 0)
    assert done.returncode == expected, (
        f"{q}\nran: {shlex.join(words)}\nexit {done.returncode}, the doc implies {expected}\n"
        f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )
    unmatched = set(re.findall(r"Could not match supplied host pattern, ignoring: (\S+)",
                               done.stderr))  # fmt: skip
    assert unmatched <= set(UNMATCHED_LIMIT_OK), f"{q}\n--limit matches no host: {unmatched}"
    if "--limit" in words and "--list-hosts" in words:
        assert re.search(r"hosts \([1-9]", done.stdout), f"{q}\nno host listed\n{done.stdout}"


# --- make


@pytest.fixture(scope="module")
def make_targets() -> set[str]:
    """Every target make knows, from its database: nothing is built (an unknown goal)."""
    done = subprocess.run(
        ["make", "-pq", "__docs_test_no_such_goal__"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    targets = set(re.findall(r"^([A-Za-z0-9_./-]+):(?!=)", done.stdout, flags=re.M))
    assert {"help", "setup", "test"} <= targets, done.stderr
    return targets


def _check_make(q: Quoted, material: dict[str, str], targets: set[str]) -> None:
    words = _substitute(q, material)[1:]
    goals = [w for w in words if not w.startswith("-") and "=" not in w]
    assert goals, f"{q}: no target"
    missing = [g for g in goals if g not in targets]
    assert not missing, f"{q}: the Makefile has no target {missing} (see `make help`)"


# --- vigie_detector


def _check_detector(q: Quoted, material: dict[str, str]) -> None:
    words = _substitute(q, material)[3:]
    assert words, f"{q}: no subcommand"
    top = subprocess.run(
        [sys.executable, "-m", "vigie_detector", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    choices = re.search(r"\{([\w,-]+)\}", top).group(1).split(",")
    assert words[0] in choices, f"{q}: vigie_detector has no subcommand {words[0]}: {choices}"
    sub = subprocess.run(
        [sys.executable, "-m", "vigie_detector", words[0], "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", sub))
    for i, word in enumerate(words):
        if word.startswith("-"):
            assert word.split("=")[0] in flags, f"{q}: vigie_detector {words[0]} has no {word}"
        if i and words[i - 1] == "--config":
            assert (REPO / word).is_file(), f"{q}: no file {word}"


# --- the tests


def test_commands_are_found():
    texts = [q.text for q in COMMANDS]
    assert len(COMMANDS) >= 40, texts
    assert any(t.startswith("ansible-playbook playbooks/site.yml --limit") for t in texts)
    assert any(t.startswith("python -m vigie_detector replay") for t in texts)
    assert any(t.startswith("vigie audit verify JOURNAL") for t in texts)
    assert "make test-pulumi" in texts  # a bare target after `make test-inventory`


@pytest.mark.parametrize("q", COMMANDS, ids=[f"{q.doc}:{q.line}" for q in COMMANDS])
def test_quoted_command(q: Quoted, material, make_targets, tmp_path):
    if q.text.startswith("vigie "):
        _run_vigie(q, material, tmp_path)
    elif q.text.startswith(("ansible-playbook ", "ansible-inventory ")):
        _run_ansible(q, material)
    elif q.text.startswith("make "):
        _check_make(q, material, make_targets)
    else:
        _check_detector(q, material)
