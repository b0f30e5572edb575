"""The detector_host role: a working engine with the daemon settings applied."""

import json

import pytest
from nested_engine import load_image

testinfra_hosts = ["docker://vigie-mol-detector_host"]


@pytest.fixture(scope="module")
def image(host):
    return load_image(host)


def info(host):
    return json.loads(host.check_output("docker info --format '{{json .}}'"))


def test_engine_runs_with_the_settings(host):
    assert host.service("docker").is_running and host.service("docker").is_enabled
    data = info(host)
    assert data["Driver"] == "vfs"
    assert data["LoggingDriver"] == "local"
    assert data["LiveRestoreEnabled"] is True


def test_daemon_json_is_managed(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    # /proc/sys is read-only in this unprivileged container: dockerd could not
    # set up hairpin NAT, so `auto` keeps the userland proxy here.
    assert "ro" in host.check_output("findmnt -n -o OPTIONS --target /proc/sys").split(",")
    assert config["userland-proxy"] is True
    assert config["log-opts"] == {"max-size": "1m", "max-file": "2"}


def test_operator_may_drive_the_engine(host):
    assert "docker" in host.user("deployer").groups
    assert host.run("runuser -u deployer -- docker version --format '{{.Server.Version}}'").rc == 0


def test_container_runs_with_bounded_logs(host, image):
    out = host.check_output(f"docker run --rm {image} python3 -c 'print(6*7)'")
    assert out.strip() == "42"
    # no-new-privileges applies to every container by default
    status = host.check_output(f"docker run --rm {image} grep NoNewPrivs /proc/self/status")
    assert status.split() == ["NoNewPrivs:", "1"]
    host.check_output(f"docker run -d --name vigie-mol-chatty {image} sleep 300")
    try:
        log = json.loads(
            host.check_output("docker inspect -f '{{json .HostConfig.LogConfig}}' vigie-mol-chatty")
        )
        assert log == {"Type": "local", "Config": {"max-size": "1m", "max-file": "2"}}
    finally:
        host.run("docker rm -f vigie-mol-chatty")


def test_published_port_is_reachable(host, image):
    host.check_output(
        f"docker run -d --name vigie-mol-web -p 8080:8080 {image} python3 -m http.server 8080"
    )
    try:
        fetch = (
            'python3 -c "import urllib.request,time; time.sleep(1); '
            "print(urllib.request.urlopen('http://127.0.0.1:8080/', timeout=5).status)\""
        )
        assert host.check_output(fetch) == "200"
    finally:
        host.run("docker rm -f vigie-mol-web")


def test_containers_survive_an_engine_restart(host, image):
    host.check_output(f"docker run -d --name vigie-mol-live {image} sleep 300")
    try:
        pid = host.check_output("docker inspect -f '{{.State.Pid}}' vigie-mol-live")
        host.check_output("systemctl restart docker")
        assert host.check_output("docker inspect -f '{{.State.Pid}}' vigie-mol-live") == pid
        assert host.check_output("docker inspect -f '{{.State.Running}}' vigie-mol-live") == "true"
    finally:
        host.run("docker rm -f vigie-mol-live")


def test_no_host_wide_snapshot_retention_rule(host):
    """Snapshots follow each camera's retention, deleted by the detector: the
    host keeps no blanket age rule (cron, tmpfiles, timer) on them."""
    found = host.run(
        "grep -rl -e vigie-detector -e snapshots /etc/cron* /etc/tmpfiles.d /usr/lib/tmpfiles.d"
        " /etc/systemd/system 2>/dev/null"
    )
    assert found.rc == 1 and found.stdout == "", found.stdout


def test_the_forward_rule_opens_the_port_the_streams_name(host):
    """RTSP from the detectors' bridge to the camera prefix, on the port of the
    converge's stream URLs (554) and no other."""
    chain = host.check_output("nft list chain inet vigie forward")
    rtsp = [line.split() for line in chain.splitlines() if "camera substreams" in line]
    assert len(rtsp) == 1, chain
    words = rtsp[0]
    assert words[:2] == ["iifname", '"vigie-detectors"']
    assert words[words.index("daddr") + 1] == "192.0.2.0/24"
    assert words[words.index("dport") + 1] == "554"
