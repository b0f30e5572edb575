"""The gateway's services, started once for the session (gw_support.Gateway)."""

from __future__ import annotations

import pytest
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
