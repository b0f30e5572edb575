"""The gateway's services, started once for the session (gw_support.Gateway)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Helpers shared with the lab's page test (tests/shared/operator_workstation.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from gw_support import Gateway, need


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
