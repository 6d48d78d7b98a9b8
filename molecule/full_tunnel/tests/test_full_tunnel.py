"""Scenario 6 (the VPN as default gateway), converged by playbooks/site.yml: verify on real packets.

The laptop (full tunnel) has no route to the wan net but the tunnel; its traffic to the "internet" container
leaves the gateway masqueraded behind the gateway's wan address. Hosts: molecule/full_tunnel/molecule.yml.
"""

import re
import time

import pytest

import wirefleet_verify as wv

GATEWAY, LAPTOP, INTERNET = ("wf-full_tunnel-%s" % n for n in ("gateway", "laptop", "internet"))
GATEWAY_VPN, LAPTOP_VPN = "198.18.70.2", "198.18.70.1"
GATEWAY_WAN, INTERNET_ADDRESS = "198.18.69.10", "198.18.69.100"
FWMARK = 51820  # wg-quick's default table / fwmark (0xca6c) for a full tunnel


def interface_of(node, address):
    return node.check_output("ip -4 -o addr show to %s/32", address).split()[1]


@pytest.fixture(scope="module")
def internet():
    return wv.host(INTERNET)


def test_services_and_private_files(gateway, laptop):
    for node, interface in ((gateway, "gateway0"), (laptop, "wg0")):
        wv.assert_service_up(node, interface)
        wv.assert_private_files(node, interface)


def test_handshakes(gateway, laptop):
    laptop.run_expect([0], "ping -c 2 -W 2 %s", GATEWAY_VPN)
    wv.wait_for_handshakes(gateway, "gateway0", 1)
    wv.wait_for_handshakes(laptop, "wg0", 1)


def test_peers_and_allowed_ips(gateway, laptop):
    assert wv.allowed_ips(laptop, "wg0") == {wv.public_key(gateway, "gateway0"): ["0.0.0.0/0"]}
    assert wv.allowed_ips(gateway, "gateway0") == {wv.public_key(laptop, "wg0"): ["%s/32" % LAPTOP_VPN]}


def test_laptop_policy_routing(laptop):
    # wg-quick's full tunnel: everything without the fwmark goes to table 51820, i.e. into wg0
    assert laptop.sysctl("net.ipv4.conf.all.src_valid_mark") == 1
    rules = laptop.check_output("ip -4 rule show")
    assert re.search(r"not from all fwmark 0x%x lookup %d" % (FWMARK, FWMARK), rules), rules
    assert "suppress_prefixlength 0" in rules
    route = laptop.check_output("ip -4 route get %s", INTERNET_ADDRESS)
    assert " dev wg0 " in route and "table %d" % FWMARK in route, route
    # WireGuard's own (marked) packets use the main table, which has no way to the wan net: no leak
    assert laptop.run("ip -4 route get %s mark %s", INTERNET_ADDRESS, str(FWMARK)).rc != 0
    assert laptop.check_output("ip -4 route show default") == ""


def test_laptop_dns_from_the_tunnel(laptop):
    assert "nameserver %s" % GATEWAY_VPN in laptop.file("/etc/resolv.conf").content_string


def test_gateway_sysctl_and_nat(gateway):
    assert gateway.sysctl("net.ipv4.ip_forward") == 1
    wan = interface_of(gateway, GATEWAY_WAN)
    rules = gateway.check_output("nft list table inet wirefleet")
    assert re.search(r'oifname "%s" ip saddr 198\.18\.70\.0/24 .*masquerade' % wan, rules), rules
    assert re.search(r'iifname "gateway0" .*accept comment "gateway0: exit gateway"', rules)
    assert "udp dport 51000" in rules
    assert gateway.service("wirefleet-nftables").is_enabled


def test_traffic_leaves_through_the_tunnel_masqueraded(gateway, laptop, internet):
    wan_if = interface_of(internet, INTERNET_ADDRESS)
    lines = wv.capture(internet, wan_if, "icmp and dst host %s" % INTERNET_ADDRESS, laptop,
                       "ping -c 3 -W 2 %s" % INTERNET_ADDRESS)
    assert lines, "no ICMP from the laptop reached the internet"
    assert "IP %s > %s: ICMP echo request" % (GATEWAY_WAN, INTERNET_ADDRESS) in lines[0], lines
    laptop.run_expect([0], "ping -c 2 -W 2 %s", INTERNET_ADDRESS)
    # and a TCP connection, seen by the server as coming from the gateway
    internet.run("pkill -x nc")
    internet.run_expect([0], "nohup timeout 20 nc -lk 8080 >/dev/null 2>&1 &")
    time.sleep(0.5)
    lines = wv.capture(internet, wan_if, "tcp dst port 8080 and tcp[tcpflags] & tcp-syn != 0", laptop,
                       "nc -z -w 3 %s 8080" % INTERNET_ADDRESS)
    assert lines and "IP %s." % GATEWAY_WAN in lines[0], lines
    laptop.run_expect([0], "nc -z -w 3 %s 8080", INTERNET_ADDRESS)
    # UDP too, arriving with the gateway's address
    reached, seen_from = wv.probe(laptop, internet, INTERNET_ADDRESS, "udp")
    assert reached and seen_from == GATEWAY_WAN, (reached, seen_from)
    # and it went through the gateway's tunnel interface (counters of the masquerade rule moved)
    assert re.search(r"counter packets [1-9]\d* .*masquerade", gateway.check_output("nft list table inet wirefleet"))


def test_internet_untouched(internet):
    assert not internet.package("wireguard-tools").is_installed
    assert internet.check_output("ip -4 route show to 198.18.70.0/24") == ""
