"""Make ``vigie_stack`` (the Pulumi program's package under pulumi/) importable."""

import sys
from pathlib import Path

PULUMI_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PULUMI_DIR))


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the lab up and `make lab-detectors` done")
