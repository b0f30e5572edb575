"""The configuration file: examples load, mistakes say where and why, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import EXAMPLES
from vigie_detector.configfile import ConfigError, load_config


@pytest.mark.parametrize("name", ["tamper.yml", "intrusion.yml", "fire.yml"])
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


@pytest.mark.parametrize(
    ("mqtt", "hint"),
    [
        ("{host: b, ca_file: /ca.pem, cert_file: /c.pem, key: secret}", "key_file"),
        ("{host: b, ca_file: /ca.pem, cert_file: /c.pem, key_file: '-----BEGIN PRIVATE KEY-----'}",
         "paths"),
        ("{host: b, ca_file: /ca.pem, cert_file: /c.pem}", "go together"),
        ("{host: b, cert_file: /c.pem, key_file: /k.pem}", "ca_file"),
    ],
)  # fmt: skip
def test_client_key_only_by_path_and_with_its_certificate(tmp_path, mqtt, hint):
    path = write(
        tmp_path, f"mqtt: {mqtt}\ncameras:\n  - {{id: cam1, site: site-a, url: rtsp://x/y}}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.lines[0].startswith(f"{path}:1: DETECTOR-CONFIG: mqtt")
    assert hint in err.value.lines[0]
    assert "secret" not in err.value.lines[0] and "BEGIN" not in err.value.lines[0]


def test_client_certificate_paths_are_accepted(tmp_path):
    mqtt = "{host: b, ca_file: /ca.pem, cert_file: /tls/c.pem, key_file: /tls/k.pem}"
    path = write(
        tmp_path, f"mqtt: {mqtt}\ncameras:\n  - {{id: cam1, site: site-a, url: rtsp://x/y}}\n"
    )
    cfg = load_config(path)
    assert (cfg.mqtt.cert_file, cfg.mqtt.key_file) == ("/tls/c.pem", "/tls/k.pem")


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


def test_the_analysis_substream_is_what_the_detector_opens():
    from helpers import config

    sub = {"rtsp_url": "rtsp://10.0.0.5:554/stream2", "resolution": "640x360", "fps": 5}
    cam = config(url=None, analysis_stream=sub).cameras[0]
    assert cam.stream_url == "rtsp://10.0.0.5:554/stream2" and cam.fps == 5
    # Pulumi adds the credential to `url`: same substream, with user:password.
    cam = config(url="rtsp://u:p@10.0.0.5:554/stream2", analysis_stream=sub).cameras[0]
    assert cam.stream_url == "rtsp://u:p@10.0.0.5:554/stream2"


def test_a_url_that_is_not_the_substream_is_refused(tmp_path):
    path = write(
        tmp_path,
        """\
        cameras:
          - id: cam1
            site: site-a
            url: rtsp://u:p@10.0.0.5:554/stream1
            analysis_stream: {rtsp_url: "rtsp://10.0.0.5:554/stream2", resolution: 640x360, fps: 5}
        """,
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert ":2: DETECTOR-CONFIG: cameras.0:" in err.value.lines[0]
    assert "substream" in err.value.lines[0]


def test_snapshots_follow_each_cameras_retention(tmp_path):
    import datetime as dt

    from vigie_detector.config import DetectorConfig
    from vigie_detector.events import Event, purge_snapshots, save_snapshot

    cfg = DetectorConfig.model_validate(
        {
            "snapshots_dir": str(tmp_path),
            "cameras": [
                {"id": "week", "site": "s", "url": "rtsp://x/a", "snapshot_retention_days": 7},
                {"id": "month", "site": "s", "url": "rtsp://x/b"},
            ],
        }
    )
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    frame = np.zeros((8, 8, 3), np.uint8)
    names = {}
    for cam in ("week", "month"):
        for days in (3, 8, 31):
            ev = Event(
                "s", cam, "tamper", "black", None, now - dt.timedelta(days=days), 1, frame=frame
            )
            names[(cam, days)] = save_snapshot(ev, tmp_path)
    # Recording time counts, not the file's: a restored (touched) old file still goes.
    for name in names.values():
        os.utime(tmp_path / name)
    assert purge_snapshots(cfg, now) == 3
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {names[("week", 3)], names[("month", 3)], names[("month", 8)]}
