"""`vigie review DIR --base REF`: the checks of a pull request against its target branch.

A pull request is untrusted input. Beside `vigie validate` on the head, the
review compares the head with the merge base of REF and refuses:

- OPTIN-FOREIGN-FILE: a commune's pull request that edits another commune's file
  or a shared file (fibre, département, agencies, sites), or a commune file
  declaring a site or a competent force of another commune. Whose change it is
  comes from `--commune INSEE` (the pipeline reads it from an `optin/<insee>-…`
  branch), else from the change itself: a branch name is the author's choice,
  so without `--commune` a change that edits commune files is that commune's,
  and one editing the files of several communes, or a commune's file with
  shared files, is refused;
- OPTIN-ALLOCATION-MOVED: a prefix, VLAN, address or lock entry of the base that moves;
- OPTIN-LOCK-REUSE: a lock slot given to another site than the one holding it;
- OPTIN-SITE-RETENTION: a site removed while its footage may still be within
  retention (it had cameras in the base, or lost them less than its retention ago).

Output: text (`path:line: RULE-ID: message`), GitHub workflow commands
(`::error file=...,line=...`) or a GitLab Code Quality report (JSON), each error
placed on its file and line; `changed_lines` tells which of them the pull request touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import tempfile
from pathlib import Path

from vigie.errors import Diagnostic
from vigie.loader import check_inventory
from vigie.lockfile import LOCK_NAME
from vigie.model import Inventory
from vigie.plan import allocation_changes, load_base

RULES = {
    "OPTIN-FOREIGN-FILE": (
        "a commune's pull request edits only its own file and the lock",
        "open one pull request per commune; shared files are the département's",
    ),
    "OPTIN-ALLOCATION-MOVED": (
        "allocations of the target branch never move",
        "restore netplan.lock.yml from the target branch, then `vigie lock DIR`",
    ),
    "OPTIN-LOCK-REUSE": (
        "a lock slot is never given to another site",
        "restore netplan.lock.yml from the target branch, then `vigie lock DIR`",
    ),
    "OPTIN-SITE-RETENTION": (
        "a site is removed only once its footage is past retention",
        "first remove its cameras and merge; remove the site after its retention has run out",
    ),
}
COMMUNE_FILE = re.compile(r"^communes/(\d[0-9AB]\d{3})-[a-z0-9-]+\.ya?ml$")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout


def _diag(rule: str, path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, rule, message, RULES[rule][1])


def changed_files(directory: Path, merge_base: str) -> list[str]:
    """Files of the inventory the change touches (committed or not), relative to it."""
    out = _git(directory, "diff", "--name-only", "--relative", merge_base, "--", ".")
    return sorted({line for line in out.splitlines() if line})


def changed_lines(directory: Path, merge_base: str) -> dict[str, set[int]]:
    """Lines added or modified by the change, per file relative to the inventory."""
    out = _git(directory, "diff", "-U0", "--relative", merge_base, "--", ".")
    lines: dict[str, set[int]] = {}
    current = None
    for row in out.splitlines():
        if row.startswith("+++ "):
            current = row[6:] if row.startswith("+++ b/") else None
        elif row.startswith("@@") and current:
            match = re.search(r"\+(\d+)(?:,(\d+))?", row)
            if match:
                start, count = int(match[1]), int(match[2] or 1)
                lines.setdefault(current, set()).update(range(start, start + count))
    return lines


def _lock_line(root: Path, site_id: str) -> int:
    try:
        for number, line in enumerate((root / LOCK_NAME).read_text("utf-8").splitlines(), 1):
            if re.match(rf"\s+{re.escape(site_id)}\s*:", line):
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1


def _commune_of(rel: str) -> str | None:
    match = COMMUNE_FILE.match(rel)
    return match[1] if match else None


def undeclared_proposer(files: list[str], shown: str):
    """With no `--commune`: the commune whose change this is (None: the département's),
    and a refusal of each commune file when the change is not one commune's alone."""
    communes = sorted({c for rel in files if (c := _commune_of(rel))})
    shared = [rel for rel in files if rel != LOCK_NAME and not _commune_of(rel)]
    if not communes or (len(communes) == 1 and not shared):
        return (communes[0] if communes else None), []
    edited = "communes " + ", ".join(communes) if len(communes) > 1 else f"commune {communes[0]}"
    edited += " and shared files" if shared else ""
    return None, [
        _diag(
            "OPTIN-FOREIGN-FILE",
            f"{shown}/{rel}",
            1,
            f"the change edits the files of {edited}: a commune's file changes only in "
            "that commune's own pull request (branch optin/<insee>-<name>, or "
            "`vigie review --commune INSEE`)",
        )
        for rel in files
        if _commune_of(rel)
    ]


def foreign_edits(files: list[str], commune: str, shown: str, after: Inventory | None):
    for rel in files:
        match = COMMUNE_FILE.match(rel)
        if rel == LOCK_NAME or (match and match[1] == commune):
            continue
        whose = f"commune {match[1]}'s file" if match else "a shared file"
        yield _diag(
            "OPTIN-FOREIGN-FILE",
            f"{shown}/{rel}",
            1,
            f"the pull request of commune {commune} edits {whose}",
        )
    for site in after.sites.values() if after else ():
        src = site.src_of("insee")
        rel = src.path.removeprefix(shown + "/")
        match = COMMUNE_FILE.match(rel)
        if match and rel in files and site.insee != match[1]:
            yield _diag(
                "OPTIN-FOREIGN-FILE",
                src.path,
                src.line,
                f"site {site.id} is in commune {site.insee}, not in {match[1]} (this file's)",
            )
    for insee, src in after.force_src.items() if after else ():
        rel = src.path.removeprefix(shown + "/")
        owner = _commune_of(rel)
        if owner and rel in files and insee != owner:
            yield _diag(
                "OPTIN-FOREIGN-FILE",
                src.path,
                src.line,
                f"the competent force of commune {insee} is declared in commune {owner}'s file",
            )


def removed_sites(
    before: Inventory, after: Inventory, directory: Path, base: str, today: dt.date, shown: str
):
    for site in before.sites.values():
        if site.id in after.sites:
            continue
        where = f"{shown}/{LOCK_NAME}", _lock_line(directory, site.id)
        days = max((c.retention_days for c in site.cameras), default=30)
        if site.cameras:
            yield _diag(
                "OPTIN-SITE-RETENTION",
                *where,
                f"site {site.id} is removed with {len(site.cameras)} camera(s) whose footage is "
                f"kept {days} days",
            )
            continue
        rel = site.src_of().path.removeprefix(shown + "/")
        last = _git(directory, "log", "-1", "--format=%cs", base, "--", rel).strip()
        if last and (today - dt.date.fromisoformat(last)).days <= 30:
            yield _diag(
                "OPTIN-SITE-RETENTION",
                *where,
                f"site {site.id} last changed on {last}: its footage may be kept up to 30 days",
            )


def review(
    directory: Path, *, base: str, commune: str | None = None, today: dt.date | None = None
) -> tuple[list[Diagnostic], dict[str, set[int]]]:
    """Every diagnostic of the change (validation + review rules) and its changed lines."""
    today = today or dt.date.today()
    shown = str(directory).rstrip("/")
    after, diags = check_inventory(directory, today=today)
    merge_base = _git(directory, "merge-base", base, "HEAD").strip()
    with tempfile.TemporaryDirectory(prefix="vigie-review-") as tmp:
        before = load_base(directory, merge_base, Path(tmp), today)
    files = changed_files(directory, merge_base)
    if not commune:
        commune, refused = undeclared_proposer(files, shown)
        diags += refused
    if commune:
        diags += foreign_edits(files, commune, shown, after)
    if before is not None and after is not None:
        for rule, sid, text in allocation_changes(before, after):
            diags.append(_diag(rule, f"{shown}/{LOCK_NAME}", _lock_line(directory, sid), text))
        diags += removed_sites(before, after, directory, merge_base, today, shown)
    lines = {f"{shown}/{k}": v for k, v in changed_lines(directory, merge_base).items()}
    return sorted(set(diags), key=Diagnostic.sort_key), lines


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github(diags: list[Diagnostic], lines: dict[str, set[int]]) -> str:
    """Workflow commands: annotations on the pull request's diff."""
    out = []
    for d in diags:
        level = "error" if d.severity == "error" else "warning"
        message = _escape(d.message + (f" ({d.hint})" if d.hint else ""))
        on_diff = d.line in lines.get(d.path, set())
        place = f"file={d.path},line={d.line}," if on_diff or d.path in lines else ""
        out.append(f"::{level} {place}title={d.rule}::{message}")
    return "\n".join(out) + ("\n" if out else "")


def gitlab(diags: list[Diagnostic], lines: dict[str, set[int]]) -> str:
    """A Code Quality report: GitLab shows each entry on its line of the merge request."""
    report = []
    for d in diags:
        text = f"{d.rule}: {d.message}" + (f" ({d.hint})" if d.hint else "")
        report.append(
            {
                "description": text,
                "check_name": d.rule,
                "fingerprint": hashlib.sha256(d.format().encode()).hexdigest(),
                "severity": "major" if d.severity == "error" else "minor",
                "location": {"path": d.path, "lines": {"begin": max(d.line, 1)}},
            }
        )
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def text(diags: list[Diagnostic], lines: dict[str, set[int]]) -> str:
    marked = [
        d.format() + ("  [changed line]" if d.line in lines.get(d.path, set()) else "")
        for d in diags
    ]
    return "\n".join(marked) + ("\n" if marked else "")


FORMATS = {"text": text, "github": github, "gitlab": gitlab}
