"""Scenario 5, site-to-site: what a user checks, on real packets (molecule/site_to_site/molecule.yml).

Both site LANs share one docker bridge (see molecule.yml), so every reachability check also proves the
path crossed the tunnel: the packets show up on wgA and wgB, the tunnels' counters rise, TTL drops by two."""

import collections
import re

import pytest
import testinfra

import wirefleet_verify as wv

PREFIX = "wf-site_to_site-"
LAN_A, LAN_B, TRANSFER = "198.18.52.0/24", "198.18.53.0/24", "198.18.46.0/31"
HOST_A, HOST_B = "198.18.52.20", "198.18.53.20"
Side = collections.namedtuple("Side", "interface transfer lan lan_address uplink other")
SIDES = {
    "alpha": Side("wgA", "198.18.46.0", LAN_A, "198.18.52.11", "198.18.45.11", "beta"),
    "beta": Side("wgB", "198.18.46.1", LAN_B, "198.18.53.11", "198.18.45.12", "alpha"),
}


def node(name):
    # docker exec directly: much faster than one ansible run per command.
    return testinfra.get_host("docker://" + PREFIX + name)


@pytest.fixture(scope="module")
def n():
    return {name: node(name) for name in ("alpha", "beta", "hosta", "hostb")}


@pytest.fixture(scope="module", params=sorted(SIDES))
def side(request, n):
    return request.param, n[request.param]


def tx_bytes(gateway, interface):
    """Bytes this gateway sent into the tunnel (to its only peer)."""
    return int(gateway.check_output("wg show %s transfer" % interface).split()[2])


def test_service_and_private_files(side):
    name, gateway = side
    wv.assert_service_up(gateway, SIDES[name].interface)
    wv.assert_private_files(gateway, SIDES[name].interface)


def test_transfer_net_peers_and_endpoints(side, n):
    name, gateway = side
    own, far = SIDES[name], SIDES[SIDES[name].other]
    interface, lan_address, o_lan = own.interface, own.lan_address, far.lan
    assert "inet %s/31 " % own.transfer in gateway.check_output("ip -4 -o addr show dev %s" % interface)
    assert gateway.check_output("wg show %s listen-port" % interface) == "51000"
    other_key = wv.public_key(n[own.other], far.interface)
    assert wv.allowed_ips(gateway, interface) == {other_key: sorted([o_lan, TRANSFER])}
    assert gateway.check_output("wg show %s endpoints" % interface).split()[1] == "%s:51000" % far.uplink
    assert gateway.check_output("wg show %s persistent-keepalive" % interface).split()[1] == "off"
    # the LAN interface holds only its own site /24, so the other LAN is reachable through the tunnel only
    lan_line = gateway.check_output("ip -4 -o addr show to %s" % lan_address)
    assert "inet %s/24 " % lan_address in lan_line
    assert " dev %s " % interface in gateway.check_output("ip -4 route get %s" % o_lan.split("/")[0])


def test_gateways_ping_across_transfer_net(n):
    n["alpha"].run_expect([0], "ping -c 2 -W 2 198.18.46.1")
    n["beta"].run_expect([0], "ping -c 2 -W 2 198.18.46.0")


def test_handshakes_recent(side, n):
    name, gateway = side
    # both gateways have endpoints, so neither sends keepalives: traffic makes the handshake
    gateway.run_expect([0], "ping -c 1 -W 2 %s" % SIDES[SIDES[name].other].transfer)
    wv.wait_for_handshakes(gateway, SIDES[name].interface, 1)


def _cross(n, src, dst, src_addr, dst_addr, gw_src, gw_dst):
    """src pings dst: dst sees src's own LAN address, the packets cross both tunnel interfaces."""
    if_src, if_dst = SIDES[gw_src].interface, SIDES[gw_dst].interface
    expression = "icmp[icmptype] == icmp-echo and src host %s and dst host %s" % (src_addr, dst_addr)
    on_src_tunnel = wv.start_capture(n[gw_src], if_src, expression, "tunnel-out")
    on_dst_tunnel = wv.start_capture(n[gw_dst], if_dst, expression, "tunnel-in")
    on_dst = wv.start_capture(n[dst], "eth0", "icmp[icmptype] == icmp-echo", "lan")
    sent_before, back_before = tx_bytes(n[gw_src], if_src), tx_bytes(n[gw_dst], if_dst)
    out = n[src].check_output("ping -c 3 -s 1000 -W 2 %s" % dst_addr)
    sent, back = tx_bytes(n[gw_src], if_src) - sent_before, tx_bytes(n[gw_dst], if_dst) - back_before
    print("%s -> %s: %d bytes into %s, %d bytes back into %s" % (src, dst, sent, if_src, back, if_dst))
    assert sent >= 3000 and back >= 3000, "the pings did not cross the tunnel"
    # two routed hops (dst's gateway, src's gateway) on the way back: not a shortcut over the shared bridge
    assert re.search(r"ttl=62 ", out), out
    seen = wv.read_capture(n[dst], on_dst)
    assert seen and "IP %s > %s: ICMP echo request" % (src_addr, dst_addr) in seen[0], seen  # no NAT
    assert wv.read_capture(n[gw_src], on_src_tunnel), "no echo request on %s" % if_src
    assert wv.read_capture(n[gw_dst], on_dst_tunnel), "no echo request on %s" % if_dst
    wv.assert_tcp_and_udp_reach(n[src], n[dst], dst_addr)


def test_host_a_reaches_host_b(n):
    _cross(n, "hosta", "hostb", HOST_A, HOST_B, "alpha", "beta")


def test_host_b_reaches_host_a(n):
    _cross(n, "hostb", "hosta", HOST_B, HOST_A, "beta", "alpha")


def test_gateways_forward_without_nat(side):
    name, gateway = side
    interface, lan = SIDES[name].interface, SIDES[name].lan
    assert gateway.sysctl("net.ipv4.ip_forward") == 1
    rules = gateway.check_output("nft list table inet wirefleet")
    assert 'iifname "%s" ip daddr %s' % (interface, lan) in rules, rules
    assert 'oifname "%s" ip saddr %s' % (interface, lan) in rules, rules
    assert "masquerade" not in rules and "snat" not in rules
    # the listen port is open (the example inventory does not set restrict_port)
    assert re.search(r"^\s*udp dport 51000 counter .* accept", rules, re.M), rules


def test_lan_hosts_untouched(n):
    for name, address, gateway in (("hosta", HOST_A, "198.18.52.11"), ("hostb", HOST_B, "198.18.53.11")):
        host = n[name]
        assert not host.package("wireguard-tools").is_installed
        assert "inet %s/24 " % address in host.check_output("ip -4 -o addr show dev eth0")
        assert host.check_output("ip -4 route show default").startswith("default via %s " % gateway)
