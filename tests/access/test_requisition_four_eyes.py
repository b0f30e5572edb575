"""Four eyes means two people: a requisition's designee never approves his own, and
one approval (of a requisition or of an export) yields one export, never two.

Checked in the model and the Cedar policy (same verdict, same rule), at `vigie
validate` (a designee who could record requisitions is refused), and in the service
(`vigie_access.exceptional`, `vigie_access.exports`), in process: a real
`AccessCore` on the pilot's model, a list for a journal, an exporter that only
pretends to copy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.access.pilot import PILOT, TODAY
from vigie.access_policy.cedar import policies_text
from vigie.access_policy.competence import decide
from vigie.access_policy.events import Event, Request
from vigie.access_policy.policy import AccessPolicy
from vigie.desired import DesiredState
from vigie.desired.gateway import GatewayHandOver
from vigie.loader import check_inventory, load_inventory
from vigie_access import exceptional
from vigie_access.adapters import ModelPolicy
from vigie_access.core import AccessCore
from vigie_access.exports import Exporter
from vigie_access.identity import Identity
from vigie_access.store import Store

CAMERA = "mairie-sartrouville/parvis"
COMMUNE_FILE = "communes/78586-sartrouville.yml"
DESIGNEE = "pm-sartrouville/sup-0001"  # the pilot's: the commune's police municipale
OFFICER = "dipn78/op-0042"
POLICE_SUPERVISOR = "dipn78/sup-0007"
REQ = Event("requisition")


def police_designee(tmp_path: Path) -> Path:
    """The pilot, whose Sartrouville authorisation names a police supervisor as its
    designee: he could record a requisition and approve it himself."""
    root = tmp_path / "inv"
    shutil.copytree(PILOT, root)
    path = root / COMMUNE_FILE
    text = path.read_text(encoding="utf-8")
    assert f"requisition_approver: {DESIGNEE}" in text
    text = text.replace(
        f"requisition_approver: {DESIGNEE}", f"requisition_approver: {POLICE_SUPERVISOR}"
    )
    path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def unvalidated(tmp_path_factory):
    """That inventory as it would be if it had escaped `vigie validate`."""
    inv, diags = check_inventory(police_designee(tmp_path_factory.mktemp("pd")), today=TODAY)
    assert inv is not None
    assert "ACCESS-REQUISITION-DESIGNEE" in {d.rule for d in diags}
    return inv


# -- the model and the engine --------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "approved_by", "allowed", "rule"),
    [
        (POLICE_SUPERVISOR, POLICE_SUPERVISOR, False, "ACCESS-REQUISITION-FOUR-EYES"),
        (OFFICER, POLICE_SUPERVISOR, True, "ACCESS-REQUISITION-EXPORT"),
        (OFFICER, OFFICER, False, "ACCESS-WAY-REQUISITION"),  # not the designee at all
    ],
)
def test_engine_and_model_refuse_a_designee_approving_his_own(
    unvalidated, operator, approved_by, allowed, rule
):
    req = Request(operator, "export", CAMERA, REQ, approved_by=approved_by)
    engine = AccessPolicy.from_inventory(unvalidated).authorize(req)
    model = decide(unvalidated, req)
    assert (engine.allowed, engine.rule) == (allowed, rule)
    assert (model.allowed, model.rule) == (allowed, rule)


def test_the_generated_policy_compares_principal_and_approver(pilot):
    text = policies_text(pilot)
    rule = text.split('@id("ACCESS-REQUISITION-FOUR-EYES")', 1)[1].split(";", 1)[0]
    assert "context.approved_by == principal.pseudonym" in rule


# -- vigie validate ------------------------------------------------------------------------


def test_validate_refuses_a_designee_who_could_approve_his_own(tmp_path):
    root = police_designee(tmp_path)
    _inv, diags = check_inventory(root, today=TODAY)
    found = [d for d in diags if d.rule == "ACCESS-REQUISITION-DESIGNEE"]
    assert found and {d.severity for d in found} == {"error"}
    assert found[0].path.endswith(COMMUNE_FILE) and POLICE_SUPERVISOR in found[0].message
    # The pilot as it is (a police municipale designee) passes.
    _inv, diags = check_inventory(PILOT, today=TODAY)
    assert "ACCESS-REQUISITION-DESIGNEE" not in {d.rule for d in diags}


# -- the service, in process -----------------------------------------------------------------


class ListJournal:
    def __init__(self):
        self.entries: list[dict] = []

    def append(self, entry: dict) -> None:
        self.entries.append(entry)


class PretendExporter(Exporter):
    """Copies nothing; takes a moment, as the recorder's answers do."""

    def __init__(self, core):
        super().__init__(core, "/nonexistent", Ed25519PrivateKey.generate())
        self.written: list[str] = []

    async def write(self, ex, g, who, api, now):
        await asyncio.sleep(0.05)
        self.written.append(ex["id"])
        return {"files": []}, f"sha-{ex['id']}"


def make_core(inv, store_path: Path) -> AccessCore:
    """The service's core on what the model hands it for `inv` (vigie.desired.gateway)."""
    doc = GatewayHandOver.model_validate(DesiredState.build(inv).gateway)
    return AccessCore(
        store=Store(store_path),
        policy=ModelPolicy(doc),
        tokens=None,
        journal=ListJournal(),
        sources=dict(doc.cameras),
        publish=lambda _topic, _doc: None,
        segment_seconds=2,
        recorder_url=lambda _source: "",
    )


def who(name: str) -> Identity:
    agency, _, operator = name.partition("/")
    return Identity(agency=agency, operator=operator, thumbprint="")


@pytest.fixture(scope="module")
def pilot_inv():
    return load_inventory(PILOT, today=TODAY)


@pytest.fixture
def core(pilot_inv, tmp_path):
    return make_core(pilot_inv, tmp_path / "access.sqlite")


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def record(core, operator: str):
    return exceptional.record_requisition(
        core,
        who(operator),
        CAMERA,
        NOW - dt.timedelta(minutes=10),
        NOW - dt.timedelta(minutes=9),
        "PV 2026/000123 — réquisition art. 77-1-1 CPP",
        NOW,
    )


def approve(core, exporter, approver: str, grant_id: str) -> dict:
    return exceptional.approve_requisition(core, exporter, who(approver), grant_id, None, NOW)


def test_only_a_judicial_police_officer_records_a_requisition(core):
    d = record(core, "sdis78/op-0018")
    assert (d.allow, d.rule) == (False, "ACCESS-WAY-REQUISITION")
    d = record(core, "cd78-supervision/op-0001")
    assert (d.allow, d.rule) == (False, "ACCESS-WAY-REQUISITION")
    assert record(core, OFFICER).allow
    results = [(e["result"], e["rule"]) for e in core.journal.entries]
    assert results[-3:] == [
        ("refused", "ACCESS-WAY-REQUISITION"),
        ("refused", "ACCESS-WAY-REQUISITION"),
        ("recorded", "ACCESS-WAY-REQUISITION"),
    ]


def test_the_designee_cannot_record_a_requisition(unvalidated, tmp_path):
    core = make_core(unvalidated, tmp_path / "access.sqlite")
    d = record(core, POLICE_SUPERVISOR)
    assert (d.allow, d.rule) == (False, "ACCESS-REQUISITION-FOUR-EYES")
    assert core.journal.entries[-1]["result"] == "refused"


def test_the_designee_cannot_approve_his_own_requisition(pilot_inv, unvalidated, tmp_path):
    """Recorded while someone else was the designee; the inventory then names its
    recorder as the designee (it escaped `vigie validate`): his approval is refused."""
    before = make_core(pilot_inv, tmp_path / "access.sqlite")
    gid = record(before, POLICE_SUPERVISOR).grant.id
    core = make_core(unvalidated, tmp_path / "access.sqlite")
    exporter = PretendExporter(core)
    res = asyncio.run(approve(core, exporter, POLICE_SUPERVISOR, gid))
    assert res == {"refused": "ACCESS-REQUISITION-FOUR-EYES"}
    assert exporter.written == [] and core.store.exports_of(gid) == []
    entry = core.journal.entries[-1]
    assert entry["action"] == "requisition_approval" and entry["decision"] == "deny"
    assert entry["rule"] == "ACCESS-REQUISITION-FOUR-EYES"
    assert "recorded the requisition" in entry["detail"]


def test_one_requisition_one_export_however_often_approved(core):
    exporter = PretendExporter(core)
    gid = record(core, OFFICER).grant.id
    first = asyncio.run(approve(core, exporter, DESIGNEE, gid))
    assert "manifest_sha256" in first
    again = asyncio.run(approve(core, exporter, DESIGNEE, gid))
    assert again == {"refused": "ACCESS-EXPORT-DONE", "export": first["export"]}
    assert exporter.written == [first["export"]]
    assert [e["id"] for e in core.store.exports_of(gid)] == [first["export"]]
    produced = [e for e in core.journal.entries if e["action"] == "export"]
    assert len(produced) == 1


def test_two_approvals_at_once_yield_one_export(core):
    exporter = PretendExporter(core)
    gid = record(core, OFFICER).grant.id

    async def both():
        return await asyncio.gather(
            approve(core, exporter, DESIGNEE, gid), approve(core, exporter, DESIGNEE, gid)
        )

    results = asyncio.run(both())
    assert sorted("manifest_sha256" in r for r in results) == [False, True]
    assert next(r for r in results if "refused" in r)["refused"] == "ACCESS-EXPORT-DONE"
    assert len(exporter.written) == 1 and len(core.store.exports_of(gid)) == 1


def test_an_export_approved_twice_at_once_is_produced_once(core):
    g = core.store.add_grant(
        event_id="ev-four-eyes",
        agency="cd78-supervision",
        site="col-rameau-versailles",
        camera="couloir-b",
        source="col-rameau-versailles-couloir-b",
        cls="intrusion",
        origin="detector",
        rule="ACCESS-OWNER",
        event_time=NOW,
        window_start=NOW - dt.timedelta(minutes=1),
        window_end=NOW + dt.timedelta(minutes=1),
        live_until=NOW,
        live=False,
        created=NOW,
    )
    exporter = PretendExporter(core)
    export_id = exporter.request(who("cd78-supervision/op-0001"), g.id, "procès-verbal 2026/77")[
        "export"
    ]

    async def both():
        return await asyncio.gather(
            exporter.approve(who("cd78-supervision/op-0002"), export_id, None),
            exporter.approve(who("cd78-supervision/sup-0001"), export_id, None),
        )

    results = asyncio.run(both())
    assert sorted("manifest_sha256" in r for r in results) == [False, True]
    assert {r.get("refused") for r in results} == {None, "ACCESS-EXPORT-DONE"}
    assert exporter.written == [export_id]
    produced = [e for e in core.journal.entries if e.get("result") == "produced"]
    assert len(produced) == 1
    # The requester himself: refused, whatever else.
    res = asyncio.run(exporter.approve(who("cd78-supervision/op-0001"), export_id, None))
    assert res == {"refused": "ACCESS-EXPORT-FOUR-EYES"}
