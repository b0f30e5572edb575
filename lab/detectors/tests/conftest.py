"""The Pulumi program's package is importable here, as the lab path imports it."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "pulumi"))
sys.path.insert(0, str(REPO))


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the lab up and `make lab-detectors` done")
