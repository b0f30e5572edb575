"""The configuration file: examples load, mistakes say where and why, no traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from helpers import EXAMPLES
from vigie_detector.configfile import ConfigError, load_config


@pytest.mark.parametrize("name", ["tamper.yml", "intrusion.yml"])
def test_examples_are_valid(name):
    cfg = load_config(EXAMPLES / name)
    assert cfg.cameras[0].detection is not None


def write(tmp_path, text):
    path = tmp_path / "det.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_clear_password_is_refused_with_its_line(tmp_path):
    path = write(
        tmp_path,
        """\
        mqtt:
          host: broker
          password: hunter2
        cameras:
          - {id: cam1, site: site-a, url: rtsp://x/y}
        """,
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.lines[0].startswith(f"{path}:1: DETECTOR-CONFIG: mqtt:")
    assert "password_file" in err.value.lines[0]


def test_zone_outside_the_frame_points_at_the_line(tmp_path):
    path = write(
        tmp_path,
        """\
        cameras:
          - id: cam1
            site: site-a
            url: rtsp://x/y
            detection:
              classes: [intrusion]
              zones:
                door: [[0, 0], [1.5, 0], [1, 1]]
        """,
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert any(
        line.startswith(f"{path}:8: DETECTOR-CONFIG: cameras.0.detection.zones.door")
        for line in err.value.lines
    )


def test_unlawful_class_is_refused(tmp_path):
    path = write(
        tmp_path,
        """\
        cameras:
          - {id: cam1, site: site-a, url: rtsp://x/y, detection: {classes: [face_recognition]}}
        """,
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "intrusion" in err.value.lines[0] and ":2: DETECTOR-CONFIG:" in err.value.lines[0]


def test_bad_opening_hours_are_refused(tmp_path):
    path = write(
        tmp_path,
        """\
        cameras:
          - {id: cam1, site: site-a, url: rtsp://x/y, opening_hours: "Monday 8-18"}
        """,
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert ":2: DETECTOR-CONFIG: cameras.0.opening_hours:" in err.value.lines[0]


def test_cli_reports_without_traceback(tmp_path):
    path = write(tmp_path, "cameras: []\n")
    proc = subprocess.run(
        [sys.executable, "-m", "vigie_detector", "check-config", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{path}:1: DETECTOR-CONFIG: cameras:" in proc.stderr


def test_run_without_its_password_file_fails_cleanly(tmp_path):
    path = write(
        tmp_path,
        """\
        mqtt: {host: 127.0.0.1, username: det, password_file: /nonexistent/mqtt-password}
        metrics: {port: 0}
        cameras:
          - {id: cam1, site: site-a, url: rtsp://127.0.0.1:9/x}
        """,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "vigie_detector", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0
    assert "mqtt.password_file" in proc.stderr and "Traceback" not in proc.stderr
