"""The network role: 802.1Q files rendered, lab segments checked, no networkd in lab."""

import configparser

DIR = "/etc/systemd/network"


def unit(host, name):
    parser = configparser.ConfigParser(strict=False, comment_prefixes=("#",))
    parser.optionxform = str
    parser.read_string(host.file(f"{DIR}/{name}").content_string)
    return parser


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
