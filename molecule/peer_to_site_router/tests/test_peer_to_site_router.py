"""Scenario 3, WireGuard on the home router: what a user checks, on real packets
(molecule/peer_to_site_router/molecule.yml). The LAN host runs no WireGuard and has no route for the VPN."""

import re

import pytest
import testinfra

import wirefleet_verify as wv

ROUTER_VPN, LAPTOP_VPN = "198.18.49.1", "198.18.49.2"
LAN, VPN = "198.18.48.0/24", "198.18.49.0/24"
LANHOST, ROUTER_LAN = "198.18.48.20", "198.18.48.11"
PREFIX = "wf-peer_to_site_router-"


def node(name):
    # docker exec directly: much faster than one ansible run per command.
    return testinfra.get_host("docker://" + PREFIX + name)


@pytest.fixture(scope="module")
def router():
    return node("router")


@pytest.fixture(scope="module")
def laptop():
    return node("laptop")


@pytest.fixture(scope="module")
def lanhost():
    return node("lanhost")


def test_services_and_private_files(router, laptop):
    for host, interface in ((router, "wg0"), (laptop, "home0")):
        wv.assert_service_up(host, interface)
        wv.assert_private_files(host, interface)


def test_interfaces_addresses_ports(router, laptop):
    assert "inet %s/24 " % ROUTER_VPN in router.check_output("ip -4 -o addr show dev wg0")
    assert "inet %s/24 " % LAPTOP_VPN in laptop.check_output("ip -4 -o addr show dev home0")
    assert router.check_output("wg show wg0 listen-port") == "51000"
    assert laptop.check_output("wg show home0 listen-port") == "51000"
    assert laptop.run("ip link show wg0").rc != 0  # the laptop's interface is home0


def test_allowed_ips_and_routes(router, laptop, lanhost):
    router_key, laptop_key = wv.public_key(router, "wg0"), wv.public_key(laptop, "home0")
    assert wv.allowed_ips(laptop, "home0") == {router_key: sorted([LAN, VPN])}
    assert wv.allowed_ips(router, "wg0") == {laptop_key: ["%s/32" % LAPTOP_VPN]}
    assert laptop.check_output("wg show home0 endpoints").split()[1] == "198.18.44.10:51000"
    assert " dev home0 " in laptop.check_output("ip -4 route get %s" % LANHOST)
    # The LAN host has no route for the VPN: it goes to its default gateway, the router.
    assert VPN not in lanhost.check_output("ip -4 route")
    assert "via %s " % ROUTER_LAN in lanhost.check_output("ip -4 route get %s" % LAPTOP_VPN)


def test_handshakes_recent(router, laptop):
    laptop.run_expect([0], "ping -c 1 -W 2 %s" % ROUTER_VPN)
    wv.wait_for_handshakes(laptop, "home0", 1)
    wv.wait_for_handshakes(router, "wg0", 1)


def test_laptop_reaches_lanhost_with_its_tunnel_address(laptop, lanhost):
    capture = wv.start_capture(lanhost, "eth0", "icmp[icmptype] == icmp-echo", "in")
    laptop.run_expect([0], "ping -c 2 -W 2 %s" % LANHOST)
    lines = wv.read_capture(lanhost, capture)
    assert lines, "no echo request reached the LAN host"
    assert "IP %s > %s: ICMP echo request" % (LAPTOP_VPN, LANHOST) in lines[0], lines  # no NAT
    wv.assert_tcp_and_udp_reach(laptop, lanhost, LANHOST)


def test_lanhost_reaches_laptop(laptop, lanhost):
    capture = wv.start_capture(laptop, "home0", "icmp[icmptype] == icmp-echo", "out")
    lanhost.run_expect([0], "ping -c 2 -W 2 %s" % LAPTOP_VPN)
    lines = wv.read_capture(laptop, capture)
    assert lines and "IP %s > %s: ICMP echo request" % (LANHOST, LAPTOP_VPN) in lines[0], lines


def test_router_forwards_without_nat(router):
    assert router.sysctl("net.ipv4.ip_forward") == 1
    rules = router.check_output("nft list table inet wirefleet")
    assert 'iifname "wg0" ip daddr 198.18.48.0/24' in rules, rules
    assert 'oifname "wg0" ip saddr 198.18.48.0/24' in rules, rules
    assert "masquerade" not in rules and "snat" not in rules
    assert "udp dport 51000" in rules


def test_laptop_is_a_plain_client(laptop):
    # its only rule opens its own listen port (it has one: 51000); no forwarding, no NAT
    rules = laptop.check_output("nft list table inet wirefleet")
    assert re.search(r"^\s*udp dport 51000 counter .* accept", rules, re.M), rules
    assert "chain forward" not in rules and "chain postrouting" not in rules
    assert not laptop.file("/etc/sysctl.d/60-wirefleet.conf").exists


def test_lanhost_untouched(lanhost):
    assert not lanhost.package("wireguard-tools").is_installed
    assert lanhost.run("ip link show wg0").rc != 0
    assert re.search(r"inet %s/24 " % LANHOST, lanhost.check_output("ip -4 -o addr show dev eth0"))
