"""The `lab` marker. ``vigie_stack`` (the Pulumi program's package under pulumi/) is
importable through pyproject's pytest `pythonpath`."""


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the lab up and `make lab-detectors` done")
