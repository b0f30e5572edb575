"""`vigie commune new` on the production inventory: who may opt in, and what is refused.

A commune has opted in when its own file, or a site it owns (`commune_building`),
is in the inventory; a collège, a fire station or a road centre of the
département on its territory does not make it one. Every commune of the
reference data without a file of its own can opt in, and gets a file that
validates.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.optin.cli_runs import PRODUCTION, TODAY, commune_new_in_a_terminal, run
from vigie.geography import reference
from vigie.loader import load_inventory

AUTHORISATION = [
    "--authorisation", "AP-78-2026-0100", "--issued", "2025-12-01", "--expires", "2030-11-30",
    "--retention-days", "15", "--force", "police", "--camera", "parvis:street:road",
    "--camera", "hall:hall", "--today", TODAY.isoformat(),
]  # fmt: skip


def communes_hosting_departemental_sites() -> list[str]:
    """INSEE codes of the communes where production has only the département's sites."""
    inv = load_inventory(PRODUCTION, today=TODAY)
    owned = {s.insee for s in inv.sites.values() if s.kind == "commune_building"}
    hosting = {s.insee for s in inv.sites.values() if s.kind != "commune_building"}
    return sorted(hosting - owned)


HOSTS = communes_hosting_departemental_sites()


def uplink_for(insee: str) -> str:
    """The point of presence in the commune, else the first one."""
    inv = load_inventory(PRODUCTION, today=TODAY)
    pops = sorted(inv.points_of_presence.values(), key=lambda p: (p.insee != insee, p.id))
    return next(p.id for p in pops if p.kind == "pop")


@pytest.fixture
def production(tmp_path: Path) -> Path:
    root = tmp_path / "production"
    shutil.copytree(PRODUCTION, root)
    return root


def opt_in(root: Path, insee: str, *extra: str) -> tuple[int, str]:
    code, out, err = run(
        "commune", "new", "--insee", insee, "--dir", str(root),
        "--uplink", uplink_for(insee), *AUTHORISATION, *extra,
    )  # fmt: skip
    return code, out + err


def test_the_sample_is_computed_from_the_inventory():
    assert "78517" in HOSTS  # Rambouillet: an SDIS station and a road centre
    assert len(HOSTS) >= 5
    assert all(insee in reference().communes for insee in HOSTS)


def test_rambouillet_opts_in_despite_the_departements_sites(production: Path):
    code, out = opt_in(production, "78517", "--police-municipale", "epci")
    assert code == 0, out
    written = production / "communes" / "78517-rambouillet.yml"
    text = written.read_text(encoding="utf-8")
    assert "- id: mairie-rambouillet" in text and "kind: commune_building" in text
    # Rambouillet's competent force is in agencies.yml already: not written twice
    assert "competent_force" not in text
    assert "mairie-rambouillet:" in (production / "netplan.lock.yml").read_text()
    assert run("validate", str(production), "--today", TODAY.isoformat())[0] == 0
    # now it has opted in: a second run is refused, nothing moved
    lock = (production / "netplan.lock.yml").read_bytes()
    code, out = opt_in(production, "78517")
    assert code == 1 and "already opted in" in out
    assert (production / "netplan.lock.yml").read_bytes() == lock


@pytest.mark.parametrize("insee", HOSTS)
def test_every_commune_hosting_departemental_sites_opts_in(production: Path, insee: str):
    code, out = opt_in(production, insee, "--police-municipale", "commune")
    assert code == 0, out
    (written,) = (production / "communes").glob(f"{insee}-*.yml")
    assert f'insee: "{insee}"' in written.read_text(encoding="utf-8")
    code, out, err = run("validate", str(production), "--today", TODAY.isoformat())
    assert code == 0, out + err


def test_a_commune_whose_own_site_is_in_another_file_has_opted_in(production: Path):
    # Versailles' town hall, declared in a file not named after the commune
    (production / "communes" / "hotel-de-ville.yml").write_text(
        (production / "communes" / "78380-maule.yml")
        .read_text(encoding="utf-8")
        .replace("AP-78-2025-0061", "AP-78-2025-0099")
        .replace("pm-gally-mauldre", "pm-versailles")
        .replace('epci: "200034130"', 'commune: "78646"')
        .replace("mairie-maule", "hotel-de-ville-versailles")
        .replace('insee: "78380"', 'insee: "78646"')
        .replace("ggd78", "dipn78"),
        encoding="utf-8",
    )
    assert run("validate", str(production), "--today", TODAY.isoformat())[0] == 0
    code, out = opt_in(production, "78646")
    assert code == 1
    assert "Versailles (78646) has already opted in" in out and "hotel-de-ville.yml" in out
    assert not list((production / "communes").glob("78646-*.yml"))


# --- in a terminal: a wrong camera is asked again, the other answers are kept ----------

TERMINAL_ANSWERS = [
    "AP-78-2026-0042",  # authorisation
    "2025-12-01",  # issued
    "2030-11-30",  # expires
    "20",  # retention
    "police",  # competent force (Achères is not in competent_force yet)
    "none",  # police municipale
    "Mairie Achères",  # not an id: asked again
    "sdis-cs-poissy",  # taken by the département: asked again
    "",  # site id: the default, mairie-acheres
    "",  # site name: the default
    "pop-poissy",  # point of presence
    "",  # recorded at: the default, the datacenter
    "Parvis Nord:street:road",  # not an id: asked again
    "parvis:street:road",
    "gw:hall",  # would be the site gateway's host name: asked again
    "parvis:hall",  # already given: asked again
    "hall:hall",
    "",  # no more cameras
]


def test_a_wrong_camera_in_the_terminal_is_asked_again(tmp_path: Path):
    root = tmp_path / "inv"
    shutil.copytree(PRODUCTION, root)
    code, text = commune_new_in_a_terminal(
        root, "78005", TERMINAL_ANSWERS, "--today", TODAY.isoformat()
    )
    assert code == 0, text
    assert "'Mairie Achères' is not a site id" in text
    assert "site id sdis-cs-poissy is taken" in text
    assert "'Parvis Nord' is not a camera id" in text
    assert "host name mairie-acheres-gw" in text
    assert "camera parvis is already given" in text
    written = (root / "communes" / "78005-acheres.yml").read_text(encoding="utf-8")
    assert "- id: AP-78-2026-0042" in written and "retention_days: 20" in written
    assert "{id: parvis, area: street, films_public_road: true}" in written
    assert "{id: hall, area: hall}" in written and "gw" not in written
    assert "- id: mairie-acheres" in written


@pytest.mark.parametrize(
    ("camera", "says"),
    [("Parvis!:street", "is not a camera id"), ("gw:hall", "host name")],
)
def test_a_wrong_camera_flag_is_refused_before_anything_is_written(
    production: Path, camera: str, says: str
):
    lock = (production / "netplan.lock.yml").read_bytes()
    code, out = opt_in(production, "78005", "--police-municipale", "none", "--camera", camera)
    assert code in (1, 2) and says in out, out
    assert not list((production / "communes").glob("78005-*.yml"))
    assert (production / "netplan.lock.yml").read_bytes() == lock


def test_a_site_id_taken_by_the_departement_is_refused(production: Path):
    code, out = opt_in(production, "78310", "--police-municipale", "none", "--site-id=col-houdan")
    assert code == 1 and "site id col-houdan is taken" in out, out
    assert not list((production / "communes").glob("78310-*.yml"))


def test_a_refused_file_is_told_by_the_answers_not_by_the_removed_file(production: Path):
    lock = (production / "netplan.lock.yml").read_bytes()
    code, out = opt_in(
        production, "78005", "--police-municipale", "none",
        "--expires", "2031-01-01", "--retention-days", "40",
    )  # fmt: skip
    target = production / "communes" / "78005-acheres.yml"
    assert code == 1 and not target.exists(), out
    assert f"{target} is not written, the lock is unchanged" in out
    assert f"{target}:" not in out  # no `path:line` into a file that does not exist
    assert "LEGAL-AUTHORISATION-VALID" in out and "`expires: 2031-01-01` (--expires)" in out
    assert "LEGAL-RETENTION-MAX" in out and "`retention_days: 40` (--retention-days)" in out
    assert (production / "netplan.lock.yml").read_bytes() == lock


def test_the_next_step_names_the_branch_the_review_reads(production: Path):
    code, out = opt_in(production, "78005", "--police-municipale", "none")
    assert code == 0, out
    assert f"next: git checkout -b optin/78005-acheres; git add {production};" in out
