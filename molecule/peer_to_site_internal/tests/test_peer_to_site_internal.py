"""Scenario 4 (peer-to-site on an internal host), converged by playbooks/site.yml: verify on real packets.

The pi (hub) sits on the home LAN and answers ARP there for the laptop's carved LAN address (proxy_arp); the
lanhost has NO route for the VPN and still reaches the laptop, and sees it with its carved address.
Hosts and addresses: molecule/peer_to_site_internal/molecule.yml.
"""

import re

import pytest

import wirefleet_verify as wv

PI, LAPTOP, LANHOST = ("wf-peer_to_site_internal-%s" % n for n in ("pi", "laptop", "lanhost"))
PI_VPN = "198.18.64.10"        # the pool's first address, the hub's (automatic)
LAPTOP_LAN = "198.18.64.11"    # carved out of the LAN
PI_LAN, PI_UPLINK = "198.18.64.50", "198.18.65.10"
LANHOST_ADDRESS = "198.18.64.60"
LAN_IF = "eth1"                # wireguard_lan_interface of the pi


@pytest.fixture(scope="module")
def pi():
    return wv.host(PI)


@pytest.fixture(scope="module")
def laptop():
    return wv.host(LAPTOP)


@pytest.fixture(scope="module")
def lanhost():
    return wv.host(LANHOST)


def test_services_and_private_files(pi, laptop):
    for node, interface in ((pi, "wg0"), (laptop, "home_internal")):
        wv.assert_service_up(node, interface)
        wv.assert_private_files(node, interface)
        assert node.package("wireguard-go").is_installed
        assert node.process.filter(comm="wireguard-go")


def test_handshakes(pi, laptop):
    laptop.run_expect([0], "ping -c 2 -W 2 %s", PI_VPN)
    wv.wait_for_handshakes(pi, "wg0", 1)
    wv.wait_for_handshakes(laptop, "home_internal", 1)
    # the laptop came in through the "port forward" (the uplink), from its own uplink address
    assert pi.check_output("wg show wg0 endpoints").split()[1].startswith("198.18.65.20:")


def test_addresses_and_allowed_ips(pi, laptop):
    assert "inet %s/32 " % PI_VPN in pi.check_output("ip -4 -o addr show dev wg0")
    assert "inet %s/24 " % LAPTOP_LAN in laptop.check_output("ip -4 -o addr show dev home_internal")
    assert wv.allowed_ips(laptop, "home_internal") == {wv.public_key(pi, "wg0"): ["198.18.64.0/24"]}
    assert wv.allowed_ips(pi, "wg0") == {wv.public_key(laptop, "home_internal"): ["%s/32" % LAPTOP_LAN]}
    assert "ListenPort = 51000" in laptop.file("/etc/wireguard/home_internal.conf").content_string


def test_pi_interfaces(pi):
    # wireguard_lan_interface names the LAN side; the default route is on the other one, so proxy_arp
    # on the default-route interface would be the wrong place
    assert "inet %s/24 " % PI_LAN in pi.check_output("ip -4 -o addr show dev %s", LAN_IF)
    assert "inet %s/24 " % PI_UPLINK in pi.check_output("ip -4 -o addr show dev eth0")
    assert " dev eth0" in pi.check_output("ip -4 route show default")


def test_sysctl(pi, laptop):
    assert pi.sysctl("net.ipv4.ip_forward") == 1
    assert pi.sysctl("net.ipv4.conf.%s.proxy_arp" % LAN_IF) == 1
    assert pi.sysctl("net.ipv4.conf.eth0.proxy_arp") == 0
    assert pi.sysctl("net.ipv4.conf.all.proxy_arp") == 0
    content = pi.file("/etc/sysctl.d/60-wirefleet.conf").content_string
    assert "net.ipv4.conf.%s.proxy_arp = 1" % LAN_IF in content and "net.ipv4.ip_forward = 1" in content
    assert not laptop.file("/etc/sysctl.d/60-wirefleet.conf").exists


def test_firewall(pi):
    rules = pi.check_output("nft list table inet wirefleet")
    assert "udp dport 51000" in rules
    assert re.search(r'iifname "wg0" ip daddr 198\.18\.64\.0/24 .*accept', rules)
    assert re.search(r'oifname "wg0" ip saddr 198\.18\.64\.0/24 .*accept', rules)
    assert "masquerade" not in rules  # the LAN sees the laptop's own carved address
    assert pi.service("wirefleet-nftables").is_enabled


def test_lanhost_has_no_route_for_the_vpn(lanhost):
    routes = lanhost.check_output("ip -4 route show")
    assert LAPTOP_LAN not in routes and PI_LAN not in routes
    # the carved address is simply on-link for the LAN host
    assert re.match(r"%s dev eth0 src %s" % (re.escape(LAPTOP_LAN), re.escape(LANHOST_ADDRESS)),
                    lanhost.check_output("ip -4 route get %s", LAPTOP_LAN))


def test_lanhost_reaches_laptop_carved_address(pi, lanhost):
    lanhost.run("ip neigh flush to %s", LAPTOP_LAN)  # make it ask ARP afresh
    lanhost.run_expect([0], "ping -c 3 -W 2 %s", LAPTOP_LAN)
    # the pi answered ARP for the laptop: proxy_arp on its LAN interface
    pi_mac = pi.check_output("cat /sys/class/net/%s/address", LAN_IF)
    assert "lladdr %s" % pi_mac in lanhost.check_output("ip neigh show to %s", LAPTOP_LAN)


def test_laptop_reaches_lanhost_with_its_carved_address(laptop, lanhost):
    assert " dev home_internal " in laptop.check_output("ip -4 route get %s", LANHOST_ADDRESS)
    lines = wv.capture(lanhost, "eth0", "icmp and dst host %s" % LANHOST_ADDRESS, laptop,
                       "ping -c 3 -W 2 %s" % LANHOST_ADDRESS)
    assert lines, "no ICMP from the laptop arrived on the LAN"
    assert "IP %s > %s: ICMP echo request" % (LAPTOP_LAN, LANHOST_ADDRESS) in lines[0]  # no NAT
    laptop.run_expect([0], "ping -c 2 -W 2 %s", LANHOST_ADDRESS)
    wv.assert_tcp_and_udp_reach(laptop, lanhost, LANHOST_ADDRESS)


def test_lanhost_untouched(lanhost):
    assert not lanhost.package("wireguard-tools").is_installed
    assert not lanhost.file("/etc/wireguard").exists
