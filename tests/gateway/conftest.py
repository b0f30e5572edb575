"""The gateway's services, started once for the session (gw_support.Gateway)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Helpers shared with the lab's page test (tests/shared/operator_workstation.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from gw_support import Gateway, need

from vigie import central


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    for b in ("mosquitto", "nginx", "ffmpeg", "ffprobe"):
        need(b)
    gw = Gateway(tmp_path_factory.mktemp("gateway"))
    gw.make_footage()
    try:
        gw.start()
        yield gw
    finally:
        gw.stop()


# -- the service's core in process: a real AccessCore on the pilot's model, a list
# for a journal and for what it publishes (tests of decisions that need no nginx) --


class ListJournal:
    def __init__(self):
        self.entries: list[dict] = []

    def append(self, entry: dict) -> None:
        self.entries.append(entry)


@pytest.fixture(scope="module")
def pilot():
    from gw_procs import ROOT

    from vigie.loader import load_inventory

    return load_inventory(ROOT / "inventories/pilot")


@pytest.fixture
def core(pilot, tmp_path):
    from vigie_access.adapters import ModelPolicy
    from vigie_access.core import AccessCore
    from vigie_access.store import Store

    notes: list[tuple[str, dict]] = []
    c = AccessCore(
        store=Store(tmp_path / "access.sqlite"),
        policy=ModelPolicy(pilot),
        tokens=None,
        journal=ListJournal(),
        sources=central.camera_sources(pilot),
        publish=lambda topic, doc: notes.append((topic, doc)),
        segment_seconds=2,
        recorder_url=lambda _source: "",
    )
    c.notes = notes
    return c
