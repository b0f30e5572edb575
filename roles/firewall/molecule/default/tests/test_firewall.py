"""The firewall role: a valid ruleset is loaded and real traffic obeys it.

Every reachability check names its outcome: "open" (connected), "refused"
(the other end's kernel answered RST: the packet got through the firewall to a
closed port) or "timeout" (nothing came back: the default policy dropped it).
A closed port behind an accepted rule must be refused, a listening port behind
no rule must time out: the two cannot be mistaken for each other.
"""

import time

import pytest
import testinfra

testinfra_hosts = ["docker://vigie-mol-firewall"]
PEER = testinfra.get_host("docker://vigie-mol-firewall-peer")

# Prints open, refused or timeout (anything else is printed as is and fails).
CONNECT = (
    "python3 -c 'import socket,sys\n"
    "try:\n"
    "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()\n"
    '    print("open")\n'
    "except ConnectionRefusedError:\n"
    '    print("refused")\n'
    "except TimeoutError:\n"
    '    print("timeout")\n'
    "except OSError as exc:\n"
    "    print(type(exc).__name__)' {} {}"
)


def connect(source, address, port):
    return source.check_output(CONNECT.format(address, port)).strip()


def address(target):
    return target.check_output("hostname -I").split()[0]


def serve(target, port):
    """Start a throw-away HTTP server on `port` inside `target`."""
    target.run(f"setsid python3 -m http.server {port} >/dev/null 2>&1 < /dev/null &")


@pytest.fixture(scope="module")
def servers(host):
    for port in (8080, 8081):
        serve(host, port)
    for port in (8090, 8091):
        serve(PEER, port)
    time.sleep(1)
    yield
    host.run("pkill -f 'http.server 808[01]'")
    PEER.run("pkill -f 'http.server 809[01]'")


def test_service_enabled_and_table_loaded(host):
    assert host.service("nftables").is_enabled
    ruleset = host.check_output("nft list table inet vigie")
    assert "policy drop" in ruleset
    assert 'tcp dport 8080 accept comment "test service reachable from the lab network"' in ruleset
    assert "udp dport 60000-60010 accept" in ruleset


def test_config_file_is_valid_and_managed(host):
    conf = host.file("/etc/nftables.conf")
    assert conf.user == "root" and conf.mode == 0o750
    assert "Ansible managed" in conf.content_string
    assert host.run("nft -c -f /etc/nftables.conf").rc == 0


def test_every_chain_defaults_to_drop(host):
    for chain in ("input", "forward", "output"):
        listing = host.check_output(f"nft list chain inet vigie {chain}")
        assert "policy drop;" in listing, chain


def test_allowed_port_in_is_reachable(host, servers):
    assert connect(PEER, address(host), 8080) == "open"


def test_allowed_closed_port_in_is_refused(host, servers):
    # 8082 is accepted by a rule but nothing listens: the host's kernel answers.
    assert not host.socket("tcp://0.0.0.0:8082").is_listening
    assert connect(PEER, address(host), 8082) == "refused"


def test_other_port_in_is_dropped(host, servers):
    # Listening, but not in firewall__input_rules: the SYN is dropped (timeout).
    assert host.socket("tcp://0.0.0.0:8081").is_listening
    assert connect(PEER, address(host), 8081) == "timeout"


def test_allowed_port_out_is_reachable(host, servers):
    assert connect(host, address(PEER), 8090) == "open"


def test_allowed_closed_port_out_is_refused(host, servers):
    # 8092 is accepted on the way out but nothing listens on the peer.
    assert connect(PEER, "127.0.0.1", 8092) == "refused"
    assert connect(host, address(PEER), 8092) == "refused"


def test_other_port_out_is_dropped(host, servers):
    # The peer listens on 8091 (its own loopback proves it, no `ss` needed),
    # but the host's output chain has no rule for it: dropped, not refused.
    assert connect(PEER, "127.0.0.1", 8091) == "open"
    assert connect(host, address(PEER), 8091) == "timeout"


def test_loopback_still_works(host, servers):
    assert connect(host, "127.0.0.1", 8081) == "open"
