"""The plan, `vigie access explain` and the matrix give one answer: for every camera of
the pilot and production inventories and every event class (requisitions included),
the agencies the plan says may see it are those `explain` says yes to and those the
matrix lists."""

from __future__ import annotations

import re

import pytest

from tests.access.pilot import REPO
from vigie.access_policy.events import EVENT_CLASSES
from vigie.access_policy.policy import AccessPolicy
from vigie.access_policy.report import explain, matrix_rows
from vigie.loader import check_inventory
from vigie.plan import who_can_see


def explained(inv, policy, camera: str) -> dict[str, set[str]]:
    """event class -> the agencies `explain` says yes to."""
    text, agree = explain(inv, policy, camera, list(EVENT_CLASSES))
    assert agree, text
    out: dict[str, set[str]] = {}
    for line in text.splitlines():
        if header := re.match(r"([a-z-]+): ", line):
            current = out.setdefault(header.group(1), set())
        elif yes := re.match(r"  yes (\S+)", line):
            current.add(yes.group(1))
    return out


def planned(inv, site, cam) -> dict[str, set[str]]:
    """event class -> the agencies the plan's "who can see what" names."""
    out = {}
    for line in who_can_see(inv, site, cam) or []:
        name = re.search(r"\(`([a-z-]+)`", line).group(1)
        shown = line.split(") : ", 1)[1]
        out[name] = {a for a in inv.agencies if f"({a})" in shown}
    return out


@pytest.mark.parametrize("name", ["pilot", "production"])
def test_the_plan_says_what_explain_says_for_every_camera_and_event(name: str):
    inv, diags = check_inventory(REPO / "inventories" / name)
    assert inv is not None, diags
    policy = AccessPolicy.from_inventory(inv)
    listed: dict[str, dict[str, set[str]]] = {}
    for camera, event, agency, allowed, _rule in matrix_rows(policy, inv):
        cell = listed.setdefault(camera, {}).setdefault(event, set())
        cell.update([agency] if allowed else [])
    differences = []
    for site in inv.sites.values():
        for cam in site.cameras:
            camera = f"{site.id}/{cam.id}"
            want, got = explained(inv, policy, camera), planned(inv, site, cam)
            assert set(want) == set(EVENT_CLASSES), want
            if not want == got == listed[camera]:
                differences.append(f"{camera}: explain {want}, plan {got}, matrix {listed[camera]}")
    assert not differences, "\n".join(differences[:10])
