"""wirefleet on hosts whose firewall already runs: each host's rules live in its own tool, every path carries
ICMP, TCP and UDP, the exit NAT works, restricted ports stay closed to non-peers, and nothing of the user's
firewall is changed beyond wirefleet's own objects."""

import re

import wirefleet_verify as wv

import ef_fleet as ef


def test_the_users_firewalls_are_still_there_and_still_in_charge(nodes):
    hub, gateway, docker, desktop = nodes[ef.HUB], nodes[ef.GATEWAY], nodes[ef.DOCKER], nodes[ef.DESKTOP]
    status = hub.check_output("ufw status verbose")
    assert "Status: active" in status and "deny (incoming)" in status and "deny (routed)" in status, status
    assert re.search(r"^22/tcp\s+ALLOW IN\s+Anywhere", status, re.M), status
    assert gateway.check_output("firewall-cmd --state") == "running"
    assert "public" in gateway.check_output("firewall-cmd --get-default-zone")
    assert "-P FORWARD DROP" in docker.check_output("iptables -w -S FORWARD")
    # the user's own table, byte for byte as prepare.yml loaded it
    assert desktop.check_output("nft list table inet userfw") == desktop.check_output("cat /root/userfw.before")


def test_each_host_carries_wireguard_in_its_own_tool(nodes):
    hub, gateway, docker, desktop = nodes[ef.HUB], nodes[ef.GATEWAY], nodes[ef.DOCKER], nodes[ef.DESKTOP]
    # ufw: rules of ours, shown by ufw itself; no table of wirefleet's beside it
    assert "wirefleet" in hub.check_output("ufw status")
    assert hub.run("nft list table inet wirefleet").rc != 0
    # firewalld: the tunnel interface in a zone
    zones = gateway.check_output("firewall-cmd --get-active-zones")
    assert re.search(r"^\s*interfaces:.*\bwg0\b", zones, re.M), zones
    assert gateway.run("nft list table inet wirefleet").rc != 0
    # "Docker" host: the nftables backend, its forward accepts placed before FORWARD's DROP
    forward = docker.check_output("iptables -w -S FORWARD").splitlines()
    assert "-A FORWARD -j WIREFLEET-PASS-FORWARD" in forward[:3], forward
    docker.run_expect([0], "nft list table inet wirefleet")
    # desktop: the nftables backend beside the user's trusted table
    desktop.run_expect([0], "nft list table inet wirefleet")


def test_every_member_handshakes_with_the_hub(nodes):
    # every member has an endpoint, so none sends keepalives: traffic starts the handshakes
    for name in (ef.GATEWAY, ef.DOCKER, ef.DESKTOP):
        nodes[name].run_expect([0], "ping -c 1 -W 3 %s" % ef.TUNNEL[ef.HUB])
    wv.wait_for_handshakes(nodes[ef.HUB], ef.IF, 3)
    for name in (ef.GATEWAY, ef.DOCKER, ef.DESKTOP):
        wv.wait_for_handshakes(nodes[name], ef.IF, 1)


def test_icmp_tcp_and_udp_pass_on_every_path(nodes):
    assert ef.broken_paths(nodes) == []


def test_the_docker_lan_sees_the_gateways_lan_address(nodes):
    """The Docker gateway masquerades peers into its LAN (wireguard_nat with its LAN as uplink)."""
    dlanhost = nodes[ef.DLANHOST]
    seen = wv.capture(dlanhost, "eth0", "tcp dst port 8099 and tcp[tcpflags] & tcp-syn != 0", nodes[ef.DESKTOP],
                      "nc -z -w 2 %s 8099" % ef.LAN_ADDRESS[ef.DLANHOST])
    assert seen and all("198.19.8.12." in line for line in seen), seen


def test_the_hub_masquerades_peers_to_the_internet(nodes):
    """TCP from the desktop, routed into the tunnel for a moment, reaches the internet host from the hub's
    address (ufw's NAT block); without the masquerade docker drops the tunnel source on the uplink."""
    hub, desktop, internet = nodes[ef.HUB], nodes[ef.DESKTOP], nodes[ef.INTERNET]
    hub_key = wv.public_key(hub, ef.IF)
    target = ef.UPLINK[ef.INTERNET]
    try:
        desktop.run_expect([0], "wg set wg0 peer %s allowed-ips %s,%s/32" % (hub_key, ef.VPN, target))
        desktop.run_expect([0], "ip route replace %s/32 dev wg0" % target)
        seen = wv.capture(internet, "eth0", "tcp dst port 8098 and tcp[tcpflags] & tcp-syn != 0", desktop,
                          "nc -z -w 2 %s 8098" % target)
        reached = wv.tcp_reaches(desktop, internet, target)
    finally:
        desktop.run("ip route del %s/32 dev wg0" % target)
        desktop.run_expect([0], "wg-quick strip wg0 > /tmp/wg0.strip && wg syncconf wg0 /tmp/wg0.strip")
    assert seen and all(ef.UPLINK[ef.HUB] + "." in line for line in seen), seen
    assert reached
    # exactly one masquerade of the VPN, whatever ufw loaded
    nat = hub.check_output("iptables -w -t nat -S")
    assert len(re.findall(r"-s %s .*-j MASQUERADE" % re.escape(ef.VPN), nat)) == 1, nat


def udp_drop_count(node, command):
    return sum(int(n) for n in re.findall(r"^\s*(\d+)\s+\d+\s+DROP\s+(?:udp|17)\b.*dpt:51820", node.check_output(command),
                                          re.M))


def test_restricted_ports_stay_closed_to_a_non_peer(nodes):
    """Every member has a known endpoint (restrict_port): the internet host's packets to the WireGuard port are
    dropped by wirefleet's rule, on the ufw hub (ufw's rule counters) and on the Docker gateway (nftables)."""
    hub, docker, internet = nodes[ef.HUB], nodes[ef.DOCKER], nodes[ef.INTERNET]
    ufw_counters = "iptables -w -L ufw-user-input -n -v -x"
    before_hub = udp_drop_count(hub, ufw_counters)
    before_docker = docker.check_output("nft list table inet wirefleet")
    for address in (ef.UPLINK[ef.HUB], ef.UPLINK[ef.DOCKER]):
        internet.run("for i in 1 2 3; do echo intruder | nc -u -w 1 %s 51820; done" % address)
    assert udp_drop_count(hub, ufw_counters) >= before_hub + 3
    anyone_else = r'udp dport 51820 counter packets (\d+) .*drop comment "wg0: WireGuard port, anyone else"'
    after = docker.check_output("nft list table inet wirefleet")
    assert int(re.search(anyone_else, after).group(1)) >= int(re.search(anyone_else, before_docker).group(1)) + 3
