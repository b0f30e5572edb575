"""Fixtures of the inventory tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inventory.inventories import overlay


@pytest.fixture
def base_copy(tmp_path: Path) -> Path:
    return overlay(tmp_path / "inv")
