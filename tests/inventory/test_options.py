"""vigie.options: the one reading of a vigie.yml, for the plugin and the Pulumi program."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inventory.inventories import BASE, PILOT
from vigie.options import OptionsError, read_options


def entry(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab" / "vigie.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bare_data_directory():
    options = read_options(BASE)
    assert options.data_dir == BASE.resolve() and options.sites is None and options.source is None


def test_the_directory_of_a_vigie_yml_is_its_data_directory():
    options = read_options(PILOT)
    assert options.data_dir == PILOT.resolve() and options.source == PILOT / "vigie.yml"


def test_relative_path_is_relative_to_the_file_and_options_are_read(tmp_path: Path):
    path = entry(
        tmp_path,
        "plugin: vigie\npath: ../data\nsites: [a, b]\nmax_cameras_per_site: 2\n"
        "cameras_per_core: 3\nkeyed_groups: []\n",
    )
    options = read_options(path.parent)  # the directory holding it
    assert options.data_dir == (tmp_path / "data").resolve()
    assert options.sites == ("a", "b")
    assert (options.max_cameras_per_site, options.cameras_per_core) == (2, 3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("plugin: vigie\nsite: [a]\n", "unknown option(s) site"),
        ("plugin: vigie\ncameras_per_core: 0\n", "`cameras_per_core` must be an integer"),
        ("plugin: vigie\nmax_cameras_per_site: yes\n", "`max_cameras_per_site` must be"),
        ("plugin: vigie\nsites: a\n", "`sites` is a list"),
        ("- plugin\n", "is a mapping"),
    ],
)
def test_mistakes_name_the_file(tmp_path: Path, text: str, message: str):
    path = entry(tmp_path, text)
    with pytest.raises(OptionsError) as err:
        read_options(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_neither_directory_nor_file(tmp_path: Path):
    with pytest.raises(OptionsError):
        read_options(tmp_path / "missing")
