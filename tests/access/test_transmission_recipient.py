"""A transmission decision names an agency the law lets receive images; `validate` says
so of any other (the préfecture authorises a system, it does not receive its images),
and what it says agrees with the access policy: it never warns about an agency the
policy lets see a camera, and the policy lets in no agency of a kind it warns about."""

from __future__ import annotations

import shutil

import pytest

from tests.access.pilot import PILOT, TODAY
from vigie.access_policy.answers import answers
from vigie.access_policy.competence import RECEIVING_KINDS
from vigie.access_policy.policy import AccessPolicy
from vigie.loader import check_inventory, load_inventory
from vigie.rules import run_rules

RULE = "LEGAL-TRANSMISSION-RECIPIENT"
NATIONALE = "      - {agency: dipn78, decision: AP-78-2023-0412}\n"
PREFECTURE = "      - {agency: pref78, decision: AP-78-2023-0412}\n"


@pytest.fixture
def with_prefecture(tmp_path):
    """The pilot, with the préfecture named in the Hôtel du Département's decision
    (line 17), as the pilot once had it."""
    folder = tmp_path / "pilot"
    shutil.copytree(PILOT, folder)
    site = folder / "sites" / "hdd-versailles.yml"
    text = site.read_text()
    assert NATIONALE in text and PREFECTURE not in text
    site.write_text(text.replace(NATIONALE, NATIONALE + PREFECTURE, 1))
    return folder


def test_the_pilot_names_no_agency_the_law_does_not_let_receive_images():
    _inv, diags = check_inventory(PILOT, today=TODAY)
    assert [d for d in diags if d.rule == RULE] == []


def test_validate_warns_of_the_prefecture_named_in_a_transmission_decision(with_prefecture):
    _inv, diags = check_inventory(with_prefecture, today=TODAY)
    found = [d for d in diags if d.rule == RULE]
    assert [(d.path.rsplit("/", 2)[-2:], d.line, d.severity) for d in found] == [
        (["sites", "hdd-versailles.yml"], 17, "warning")
    ], found
    assert "pref78" in found[0].message and "préfecture" in found[0].message
    assert "CSI L252-2" in found[0].message


def test_the_kinds_validate_warns_about_are_those_the_policy_never_honours(with_prefecture):
    pilot = load_inventory(with_prefecture)
    policy = AccessPolicy.from_inventory(pilot)
    honoured = set()
    for site in pilot.sites.values():
        for cam in site.cameras:
            for got in answers(pilot, policy, f"{site.id}/{cam.id}"):
                if got.allowed and got.event.way != "requisition":
                    honoured.add(pilot.agencies[got.agency].kind)
    named = {
        pilot.agencies[tr.agency].kind: tr.agency
        for site in pilot.sites.values()
        for tr in site.transmissions
        if tr.decision and tr.agency in pilot.agencies
    }
    warned = {d.message for d in run_rules(pilot, today=TODAY, only={RULE})}
    flagged = {kind for kind, agency in named.items() if any(agency in m for m in warned)}
    assert flagged == {"prefecture"}
    # Never a warning about an agency the policy lets see a camera, and no agency of a
    # kind the rule refuses is ever let in.
    assert not flagged & honoured and honoured <= RECEIVING_KINDS
