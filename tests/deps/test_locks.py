"""The Python environments install exactly their locks, and a stale lock is caught.

The locks are made by `make lock` (uv pip compile, sha256 of every file); these
tests read them as pip does and compare them with what is really installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOCKS = {
    "dev": ROOT / "requirements" / "dev.lock",
    "gateway": ROOT / "requirements" / "gateway.lock",
    "detector": ROOT / "detector_image" / "requirements.lock",
}
PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s\\;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            found[canonical(match[1])] = match[2]
    return found


def entries(lock: Path) -> dict[str, list[str]]:
    """Each pinned package with the sha256 hashes that follow it."""
    found: dict[str, list[str]] = {}
    current = None
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            current = canonical(match[1])
            found[current] = []
        elif current and (h := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            found[current].append(h[1])
        elif line and not line.startswith(" "):
            current = None
    return found


def test_the_venv_holds_exactly_the_development_lock():
    frozen = subprocess.run(
        [VENV_BIN / "python", "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {canonical(n): v for n, v in (line.split("==") for line in frozen.split())}
    locked = pins(LOCKS["dev"])
    assert {n: v for n, v in installed.items() if locked.get(n) != v} == {}, "not the lock's"
    assert sorted(set(locked) - set(installed)) == [], "locked but not installed"
    editable = subprocess.run(
        [VENV_BIN / "python", "-m", "pip", "list", "--editable", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sorted(canonical(p["name"]) for p in json.loads(editable)) == ["vigie", "vigie-detector"]


@pytest.mark.parametrize("lock", LOCKS.values(), ids=LOCKS.keys())
def test_every_locked_package_has_an_exact_version_and_hashes(lock):
    found = entries(lock)
    assert len(found) >= 10
    assert [name for name, hashes in found.items() if not hashes] == []
    # Nothing but pins, hashes, and uv's comments: no index URL, no editable, no path.
    stray = [
        line
        for line in lock.read_text().splitlines()
        if line and not PIN.match(line) and not line.lstrip().startswith(("#", "--hash"))
    ]
    assert stray == []


@pytest.mark.parametrize("name", ["gateway", "detector"])
def test_the_shipped_locks_take_the_development_lock_versions(name):
    dev = pins(LOCKS["dev"])
    assert {n: v for n, v in pins(LOCKS[name]).items() if dev.get(n) != v} == {}


def test_the_gateway_lock_holds_only_the_services_runtime():
    gateway = pins(LOCKS["gateway"])
    for needed in ("aiohttp", "paho-mqtt", "cedarpy", "cryptography", "pydantic", "uvloop"):
        assert needed in gateway
    # Ansible, Jinja, Pulumi and the test tools stay on the controller.
    for absent in ("ansible-core", "jinja2", "pulumi", "pytest", "molecule", "selenium"):
        assert absent not in gateway


def test_the_ansible_warning_that_cryptography_51_brings_is_kept_out():
    # ansible-core 2.19 imports DSA; cryptography 51 deprecates it with a warning
    # printed on every ansible-* command (tests/inventory refuses any warning).
    major = int(pins(LOCKS["dev"])["cryptography"].split(".")[0])
    assert major < 51
    run = subprocess.run(
        [VENV_BIN / "ansible-inventory", "--version"], capture_output=True, text=True, check=True
    )
    assert "Warning" not in run.stderr, run.stderr


def lock_tree(tmp_path: Path) -> Path:
    """The lock's inputs and outputs in a scratch tree (the check runs there)."""
    tree = tmp_path / "tree"
    for rel in [
        "pyproject.toml",
        "detector_image/pyproject.toml",
        "detector_image/requirements.in",
        "detector_image/requirements.lock",
        "requirements",
        "scripts/lock.sh",
    ]:
        src, dst = ROOT / rel, tree / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    return tree


def check(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/lock.sh", "--check"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={**os.environ, "UV": str(VENV_BIN / "uv")},
        timeout=300,
    )


def test_the_lint_passes_on_the_committed_locks(tmp_path):
    run = check(lock_tree(tmp_path))
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        # A dependency added without `make lock`.
        (
            lambda s: s.replace('"pydantic>=2.7,<3",', '"pydantic>=2.7,<3",\n  "tomli-w>=1.0",'),
            "tomli-w",
        ),
        # A bound that the locked version no longer satisfies.
        (lambda s: s.replace('"netaddr>=1.2,<2"', '"netaddr>=1.2,<1.3"'), "netaddr"),
    ],
    ids=["added", "narrowed"],
)
def test_an_edited_pyproject_without_make_lock_fails_the_lint_and_says_why(tmp_path, edit, named):
    tree = lock_tree(tmp_path)
    pyproject = tree / "pyproject.toml"
    before = pyproject.read_text()
    pyproject.write_text(edit(before))
    assert pyproject.read_text() != before
    run = check(tree)
    assert run.returncode == 1, run.stderr
    assert "requirements/dev.lock does not match its inputs" in run.stderr
    assert re.search(rf"required: {named}==", run.stderr), run.stderr
    assert "run `make lock`" in run.stderr


def test_the_gateway_wheelhouse_installs_offline_with_hashes_and_refuses_a_swapped_wheel(tmp_path):
    out = tmp_path / "wheels"
    built = subprocess.run(
        ["bash", ROOT / "scripts" / "gateway-wheelhouse.sh", out],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert built.stdout.strip() == f"built {out}"
    wheels = {canonical(w.name.split("-")[0]): w.name.split("-")[1] for w in out.glob("*.whl")}
    assert wheels == {**pins(LOCKS["gateway"]), "vigie": "0.1.0"}
    assert (out / "requirements.lock").read_bytes() == LOCKS["gateway"].read_bytes()

    # As roles/access_gateway installs it: the lock with hashes, then vigie alone.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--disable-pip-version-check",
        "--find-links",
        out,
        "--no-deps",
    ]
    subprocess.run([*pip, "--require-hashes", "-r", out / "requirements.lock"], check=True)
    subprocess.run([*pip, "vigie"], check=True)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "check"], check=True)
    imported = subprocess.run(
        [venv / "bin" / "python", "-c", "import vigie_access.__main__, vigie.loader, ansible"],
        capture_output=True,
        text=True,
    )
    assert "No module named 'ansible'" in imported.stderr  # the service runs without it

    # A wheel swapped for other bytes under the same name is refused.
    idna = next(out.glob("idna-*.whl"))
    shutil.copy(next(out.glob("attrs-*.whl")), idna)
    fresh = tmp_path / "venv2"
    subprocess.run([sys.executable, "-m", "venv", fresh], check=True)
    pip[0] = fresh / "bin" / "python"
    refused = subprocess.run(
        [*pip, "--require-hashes", "-r", out / "requirements.lock"], capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stderr and "idna" in refused.stderr


def test_the_bill_of_materials_lists_exactly_what_the_gateway_ships(tmp_path):
    out = tmp_path / "gateway.cdx.json"
    subprocess.run(
        [
            "bash",
            ROOT / "scripts" / "sbom.sh",
            ROOT / "pyproject.toml",
            LOCKS["gateway"],
            out,
            "gateway-test",
        ],
        check=True,
        timeout=300,
    )
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert (bom["metadata"]["component"]["name"], bom["metadata"]["component"]["version"]) == (
        "vigie",
        "0.1.0",
    )
    listed = {canonical(c["name"]): c["version"] for c in bom["components"]}
    assert listed == pins(LOCKS["gateway"])
    hashed = {
        canonical(c["name"]): {h["content"] for r in c["externalReferences"] for h in r["hashes"]}
        for c in bom["components"]
    }
    assert all(set(hashes) <= hashed[name] for name, hashes in entries(LOCKS["gateway"]).items())
    (ROOT / ".cache" / "artefacts" / "sbom" / "gateway-test.cdx.json").unlink()
