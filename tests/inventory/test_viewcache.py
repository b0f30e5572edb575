"""The plugin's view cache: reused while nothing changes, rebuilt on any data change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.inventory.inventories import overlay
from vigie.errors import InventoryError
from vigie.options import read_options
from vigie.viewcache import cached_view


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIGIE_NO_CACHE", raising=False)
    return overlay(tmp_path / "inv")


def retention(view) -> int:
    return view.hosts["college-rec1"]["recorder__cameras"][0]["retention_days"]


def test_second_run_reads_the_cache_and_a_change_rebuilds(data: Path, tmp_path: Path):
    options = read_options(data)
    first, _ = cached_view(options)
    [entry] = (tmp_path / "cache" / "vigie").iterdir()
    stamp = entry.stat().st_mtime_ns
    again, _ = cached_view(options)
    assert again.hosts == first.hosts and entry.stat().st_mtime_ns == stamp  # not rewritten
    site = data / "sites" / "college.yml"
    site.write_text(site.read_text().replace("{retention_days: 7}", "{retention_days: 5}"))
    os.utime(site, ns=(stamp + 10**9, stamp + 10**9))
    changed, _ = cached_view(options)
    assert retention(first) == 7 and retention(changed) == 5


def test_an_invalid_change_is_never_hidden_by_the_cache(data: Path):
    options = read_options(data)
    cached_view(options)
    site = data / "sites" / "college.yml"
    site.write_text(site.read_text().replace("{retention_days: 7}", "{retention_days: 45}"))
    with pytest.raises(InventoryError):
        cached_view(options)


def test_a_corrupt_entry_is_rebuilt(data: Path, tmp_path: Path):
    options = read_options(data)
    cached_view(options)
    [entry] = (tmp_path / "cache" / "vigie").iterdir()
    entry.write_bytes(b"not a pickle")
    view, _ = cached_view(options)
    assert retention(view) == 7
