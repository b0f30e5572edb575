"""The network role: 802.1Q files rendered, lab segments checked, no networkd in lab;
production mode parsed by a running systemd-networkd, routes per destination,
updates through the mirror."""

import configparser
import json

import testinfra

DIR = "/etc/systemd/network"


testinfra_hosts = ["docker://vigie-mol-network"]
PROD = testinfra.get_host("docker://vigie-mol-network-prod")


def unit(host, name):
    parser = configparser.ConfigParser(strict=False, comment_prefixes=("#",))
    parser.optionxform = str
    parser.read_string(host.file(f"{DIR}/{name}").content_string)
    return parser


def routes(host, name):
    """[(Destination, Gateway)] of the [Route] sections (configparser merges repeated ones)."""
    found, section = [], None
    for line in host.file(f"{DIR}/{name}").content_string.splitlines():
        if line.startswith("["):
            section = {} if line == "[Route]" else None
            if section is not None:
                found.append(section)
        elif section is not None and "=" in line:
            key, value = line.split("=", 1)
            section[key] = value
    return [(r["Destination"], r["Gateway"]) for r in found]


def test_one_vlan_netdev_per_vlan(host):
    for vlan_id in (110, 120):
        netdev = unit(host, f"20-vigie-vlan{vlan_id}.netdev")
        assert netdev["NetDev"]["Kind"] == "vlan"
        assert netdev["NetDev"]["Name"] == f"vlan{vlan_id}"
        assert netdev["VLAN"]["Id"] == str(vlan_id)


def test_addresses_get_the_prefix_length(host):
    assert unit(host, "20-vigie-vlan110.network")["Network"]["Address"] == "10.231.110.10/24"
    assert unit(host, "20-vigie-vlan120.network")["Network"]["Address"] == "10.231.120.10/24"


def test_only_the_management_vlan_has_a_default_route(host):
    assert unit(host, "20-vigie-vlan120.network")["Network"]["Gateway"] == "10.231.120.1"
    assert "Gateway" not in unit(host, "20-vigie-vlan110.network")["Network"]


def test_trunk_carries_every_vlan_and_no_address(host):
    lines = host.file(f"{DIR}/10-vigie-trunk.network").content_string.splitlines()
    assert "Name=eth0" in lines
    assert [line for line in lines if line.startswith("VLAN=")] == ["VLAN=vlan110", "VLAN=vlan120"]
    assert not any(line.startswith("Address=") for line in lines)


def test_files_of_vlans_no_longer_planned_are_removed(host):
    assert not host.file(f"{DIR}/20-vigie-vlan999.netdev").exists


def test_lab_mode_leaves_networkd_off(host):
    assert not host.service("systemd-networkd").is_running
    # the emulated segments (docker networks) keep their addresses
    addresses = host.check_output("ip -4 -o addr show")
    assert "10.231.110.10/24" in addresses and "10.231.120.10/24" in addresses


def test_files_are_managed(host):
    assert "Ansible managed" in host.file(f"{DIR}/20-vigie-vlan110.netdev").content_string


def test_lab_mode_checks_the_routes_it_is_given(host):
    assert routes(host, "20-vigie-vlan110.network") == [("10.231.130.0/24", "10.231.110.1")]
    assert routes(host, "20-vigie-vlan120.network") == []
    assert "10.231.130.0/24 via 10.231.110.1" in host.check_output("ip -4 route")


def test_production_routes_data_flows_per_destination_via_the_recorders_vlan():
    assert routes(PROD, "20-vigie-vlan113.network") == [
        ("10.128.12.0/24", "10.128.13.1"),
        ("10.128.28.0/24", "10.128.13.1"),
        ("10.78.0.0/24", "10.128.13.1"),
    ]
    # The mirror (on the admin prefix, which data flows reach via recorders) is
    # reached from management, as the gateway's policy says: the role adds the
    # host route on the default-route VLAN.
    assert routes(PROD, "20-vigie-vlan114.network") == [("10.78.0.30/32", "10.128.14.1")]
    assert unit(PROD, "20-vigie-vlan114.network")["Network"]["Gateway"] == "10.128.14.1"
    assert "Gateway" not in unit(PROD, "20-vigie-vlan113.network")["Network"]


def test_production_trunk_and_netdevs():
    lines = PROD.file(f"{DIR}/10-vigie-trunk.network").content_string.splitlines()
    assert "Name=trunk0" in lines
    assert [line for line in lines if line.startswith("VLAN=")] == ["VLAN=vlan113", "VLAN=vlan114"]
    assert unit(PROD, "20-vigie-vlan113.netdev")["VLAN"]["Id"] == "113"


def networkd_complaints(about):
    log = PROD.check_output("journalctl -u systemd-networkd --no-pager -o cat")
    words = ("Unknown", "Failed", "Invalid", "ignoring")
    return [line for line in log.splitlines() if about in line and any(w in line for w in words)]


def test_production_networkd_runs_and_accepts_every_file():
    assert PROD.service("systemd-networkd").is_running
    assert PROD.service("systemd-networkd").is_enabled
    # networkd logs each key or section it cannot use when it (re)loads a
    # file: none for ours (the role's handler reloaded it after writing them).
    assert networkd_complaints("vigie") == []


def test_control_networkd_does_complain_about_a_bad_file():
    # The check above is not vacuous: a file with an unknown key is reported.
    bad = f"{DIR}/99-probe.network"
    PROD.check_output(f"printf '[Match]\\nName=probe0\\n[Network]\\nNoSuchKey=1\\n' > {bad}")
    try:
        PROD.check_output("networkctl reload")
        assert networkd_complaints("99-probe") != []
    finally:
        PROD.check_output(f"rm -f {bad} && networkctl reload")


def test_production_apt_goes_through_the_mirror():
    conf = PROD.file("/etc/apt/apt.conf.d/80vigie-mirror")
    assert conf.mode == 0o644
    assert 'Acquire::http::Proxy "http://10.78.0.30:3142/";' in conf.content_string
    dump = PROD.check_output("apt-config dump Acquire::http::Proxy")
    assert 'Acquire::http::Proxy "http://10.78.0.30:3142/";' in dump


def test_production_exports_the_mirror_flow_to_the_firewall():
    export = json.loads(PROD.file("/root/network-firewall-export.json").content_string)
    assert export == [
        {
            "proto": "tcp",
            "port": 3142,
            "daddr": "10.78.0.30/32",
            "comment": "package updates from the departement mirror",
        }
    ]


def test_lab_host_has_no_mirror_configuration(host):
    assert not host.file("/etc/apt/apt.conf.d/80vigie-mirror").exists
