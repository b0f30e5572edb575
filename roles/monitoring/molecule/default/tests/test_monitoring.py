"""The monitoring role: node exporter serving recorder health from real files."""

import re
import time

testinfra_hosts = ["docker://vigie-mol-monitoring"]
REC = "/srv/vigie/recordings"
SCRAPE = (
    'python3 -c "import urllib.request; '
    "print(urllib.request.urlopen('http://127.0.0.1:9100/metrics', timeout=5).read().decode())\""
)


def scrape(host):
    return host.check_output(SCRAPE)


def value(text, metric, camera):
    match = re.search(rf'^{metric}{{camera="{camera}"}} (\S+)$', text, re.M)
    return float(match.group(1)) if match else None


def test_exporter_runs_and_serves_node_metrics(host):
    assert host.service("prometheus-node-exporter").is_running
    assert host.service("prometheus-node-exporter").is_enabled
    assert host.socket("tcp://0.0.0.0:9100").is_listening
    assert "node_filesystem_avail_bytes" in scrape(host)


def test_recorder_health_is_exported_per_camera(host):
    host.check_output(
        f"mkdir -p {REC}/cam1/2027-01-15 {REC}/cam2/2027-01-15 && "
        f"head -c 1000 /dev/zero > {REC}/cam1/2027-01-15/cam1_a.ts && "
        f"head -c 500 /dev/zero > {REC}/cam1/2027-01-15/cam1_b.ts && "
        f"head -c 10 /dev/zero > {REC}/cam2/2027-01-15/cam2_a.ts && "
        f"touch -d '1 hour ago' {REC}/cam2/2027-01-15/cam2_a.ts"
    )
    assert host.service("vigie-recorder-metrics.timer").is_running
    # the timer refreshes every 5 s; wait for a refresh that saw the files
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = scrape(host)
        if value(text, "vigie_recorder_stored_bytes", "cam1") == 1500:
            break
        time.sleep(1)
    assert value(text, "vigie_recorder_stored_bytes", "cam1") == 1500
    assert value(text, "vigie_recorder_segments", "cam1") == 2
    assert value(text, "vigie_recorder_last_segment_age_seconds", "cam1") < 30
    assert 3590 <= value(text, "vigie_recorder_last_segment_age_seconds", "cam2") < 3700
    assert re.search(r"^node_textfile_scrape_error 0$", text, re.M)


def test_exporter_options_are_managed(host):
    defaults = host.file("/etc/default/prometheus-node-exporter").content_string
    assert "--collector.textfile.directory=/var/lib/prometheus/node-exporter" in defaults
    assert "--web.listen-address=0.0.0.0:9100" in host.check_output(
        "ps -o args= -C prometheus-node-exporter"
    )


def test_oldest_footage_retention_and_mask_results_are_exported(host):
    host.check_output(
        f"mkdir -p {REC}/cam3/2027-01-15 /etc/vigie/recorder /var/lib/vigie-recorder && "
        f"head -c 10 /dev/zero > {REC}/cam3/2027-01-15/cam3_20000101T000000Z.ts && "
        'echo \'{"cameras": [{"id": "cam3", "retention_days": 7}]}\''
        " > /etc/vigie/recorder/cameras.json && "
        'echo \'{"cam3": {"leak": true, "checked_at": 1800000000}}\''
        " > /var/lib/vigie-recorder/privacy-masks.json"
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = scrape(host)
        if value(text, "vigie_recorder_privacy_mask_leak", "cam3") == 1:
            break
        time.sleep(1)
    assert value(text, "vigie_recorder_privacy_mask_leak", "cam3") == 1
    assert value(text, "vigie_recorder_retention_seconds", "cam3") == 7 * 86400
    # Recorded on 2000-01-01 by its name, whatever its file time.
    assert value(text, "vigie_recorder_oldest_footage_age_seconds", "cam3") > 20 * 365 * 86400
    assert host.file("/usr/local/share/vigie/prometheus/vigie-recorder.rules.yml").exists
