"""The `lab` marker. The Pulumi program's package (pulumi/), which the lab path imports,
is importable through pyproject's pytest `pythonpath`, as is the repository root."""


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the lab up and `make lab-detectors` done")
