"""The Cedar engine and the model's rules agree on every camera x agency x event class.

The pilot in full; one camera in 40 of a generated 4,000-camera département (the whole
département runs in `make bench-access`, a few minutes). Then requests generated with
hypothesis: any identity, action, way, class, alarm source, approver, designee and
reason (empty, blank, invisible, any unicode), 500 of each kind, zero disagreement.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigie.access_policy.differential import (
    Vocabulary,
    all_cameras,
    compare,
    disagreement,
    vocabulary,
)
from vigie.access_policy.events import ACTIONS, CLASSES, WAYS, Event, Request
from vigie.access_policy.policy import AccessPolicy

INTRUSION = Event("detector", "intrusion")


def test_pilot_every_camera_agency_event_class(pilot, policy):
    cameras = all_cameras(pilot)
    result = compare(pilot, policy, cameras)
    assert result.disagreements == []
    assert result.decisions == len(cameras) * len(pilot.agencies) * 6
    assert 0 < result.allowed < result.decisions


def test_generated_departement_slice(generated):
    inv, policy = generated
    cameras = all_cameras(inv)
    assert len(cameras) == 4000
    result = compare(inv, policy, cameras[::40])
    assert result.disagreements == []
    assert result.allowed > 100


# -- any request, generated: the contexts the matrix above never asks about -------------

BLANKS = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u2007\u2028\u2029\u202f\u205f\u3000"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\x00\x7f"
REASONS = st.one_of(
    st.just(""),
    st.text(alphabet=BLANKS, min_size=1, max_size=6),  # blank: no reason
    st.text(alphabet=BLANKS + INVISIBLE, min_size=1, max_size=6),  # blank or invisible
    st.text(max_size=12),  # any unicode
    st.sampled_from(["hostage", " x ", "\u00a0!\u00a0", "火事", "é", "\u0301", "😀"]),
)
WAYS_ANY = st.sampled_from([*WAYS, "other", "", "Detector"])
CLASSES_ANY = st.sampled_from([*CLASSES, "", "requisition", "smoke", "Intrusion"])


@st.composite
def requests(draw, voc: Vocabulary) -> Request:
    """From an open door (a person of a competent agency, a camera, an event), or from
    anything at all: then any action, any reason (empty, blank, invisible, any
    unicode), an approver and a designee who may be the requester himself, and now
    and then another way, class, alarm source, camera or identity (unknown, of an
    unknown agency, an agency's representative, an administrator's)."""
    strangers = ["nobody/op-0001", f"{voc.agencies[0]}/op-9999", "vigie-ops/admin-01"]
    reps = [AccessPolicy.representative(a) for a in voc.agencies]
    if draw(st.integers(0, 3)):
        camera, event, operator = draw(st.sampled_from(voc.open_doors))
    else:
        camera = draw(st.sampled_from(voc.cameras))
        event = Event(draw(WAYS_ANY), draw(CLASSES_ANY))
        operator = draw(st.sampled_from(voc.people + strangers + reps))
    if not draw(st.integers(0, 4)):
        camera = draw(st.sampled_from([*voc.cameras, "nope/nope", voc.cameras[0] + "x"]))
    if not draw(st.integers(0, 4)):
        event = Event(draw(WAYS_ANY), draw(CLASSES_ANY), event.source)
    if not draw(st.integers(0, 4)):
        sources = ["", f"{camera.split('/')[0]}/alarm-01", *voc.alarm_sources]
        event = Event(event.way, event.event_class, draw(st.sampled_from(sources)))
    if not draw(st.integers(0, 6)):
        operator = draw(st.sampled_from(voc.people + strangers + reps))
    near = ["", operator, voc.designees.get(camera, "")]
    names = st.one_of(
        st.sampled_from(near), st.sampled_from([*near, *voc.people, "nobody/op-0001"])
    )
    return Request(
        operator,
        draw(st.sampled_from(ACTIONS)),
        camera,
        event,
        approver=draw(names),
        approved_by=draw(names),
        reason=draw(REASONS),
    )


GENERATED = settings(
    max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def police_designee(pilot):
    """The pilot, whose Sartrouville designee is a police supervisor (what `vigie
    validate` refuses): requester and approver can then be the same person."""
    inv = copy.deepcopy(pilot)
    for site in inv.sites.values():
        if site.id == "mairie-sartrouville":
            inv.authorisations[site.authorisation].requisition_approver = "dipn78/sup-0007"
    return inv, AccessPolicy.from_inventory(inv)


def test_generated_requests_pilot(pilot, policy):
    voc = vocabulary(pilot)

    @GENERATED
    @given(req=requests(voc))
    def check(req):
        assert disagreement(pilot, policy, req) == ""

    check()


def test_generated_requests_designee_may_request(police_designee):
    inv, engine = police_designee
    voc = vocabulary(inv)
    assert "dipn78/sup-0007" in voc.designees.values()

    @GENERATED
    @given(req=requests(voc))
    def check(req):
        assert disagreement(inv, engine, req) == ""

    check()


@pytest.mark.parametrize(
    ("reason", "given"),
    [
        ("", False),
        (" ", False),
        ("\u00a0\u3000\t", False),
        ("\u200b\ufeff", False),
        ("x", True),
        ("\u0301", True),
        ("火", True),
    ],
)
def test_a_blank_reason_is_no_reason_for_both(pilot, policy, reason, given):
    for operator, action in (("ggd78/op-0007", "extend"), ("ggd78/sup-0002", "break_glass")):
        req = Request(operator, action, "col-houdan/portail", INTRUSION, reason=reason)
        assert disagreement(pilot, policy, req) == ""
        assert (policy.authorize(req).rule == "ACCESS-REASON-REQUIRED") is not given
