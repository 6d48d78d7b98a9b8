"""Scenario 2, server mesh with road warriors: what a user checks, on real packets (molecule/mesh/molecule.yml)."""

import itertools
import re
import time

import pytest
import testinfra

import wirefleet_verify as wv

IF = "wg"
PORTS = {"wf-mesh-vpn": 51820, "wf-mesh-root": 51821, "wf-mesh-db": 51822, "wf-mesh-backup": 51823}
UPLINK = {"wf-mesh-vpn": "198.18.42.10", "wf-mesh-root": "198.18.42.11", "wf-mesh-db": "198.18.42.12",
          "wf-mesh-backup": "198.18.42.13"}
SERVERS = list(PORTS)
MESH = ["wf-mesh-root", "wf-mesh-db", "wf-mesh-backup"]
NOTEBOOK = "wf-mesh-notebook"
OUTSIDER_VPN = "198.18.43.250"


def node(name):
    # docker exec directly: much faster than one ansible run per command.
    return testinfra.get_host("docker://" + name)


def addr(host, family=4):
    out = host.check_output("ip -%s -o addr show dev %s scope global" % (family, IF))
    return out.split()[3].split("/")[0]


@pytest.fixture(scope="module")
def nodes():
    return {name: node(name) for name in SERVERS + [NOTEBOOK, "wf-mesh-outsider"]}


@pytest.fixture(scope="module", params=SERVERS + [NOTEBOOK])
def managed(request, nodes):
    return nodes[request.param]


def test_service_and_private_files(managed):
    wv.assert_service_up(managed, IF)
    wv.assert_private_files(managed, IF)


def test_each_server_listens_on_its_own_port(nodes):
    for name, port in PORTS.items():
        host = nodes[name]
        assert host.check_output("wg show %s listen-port" % IF) == str(port)
        assert re.search(r":%d\s" % port, host.check_output("ss -Hunl")), name
        assert "ListenPort = %d" % port in host.file("/etc/wireguard/%s.conf" % IF).content_string


def test_peers_and_endpoints(nodes):
    keys = {name: wv.public_key(host, IF) for name, host in nodes.items() if name != "wf-mesh-outsider"}
    for name in SERVERS:
        endpoints = dict(line.split() for line in nodes[name].check_output("wg show %s endpoints" % IF).splitlines())
        expected = {keys[other] for other in SERVERS if other != name}
        if name == "wf-mesh-vpn":
            expected.add(keys[NOTEBOOK])  # the hub also serves the road warrior
        assert set(endpoints) == expected, name
        for other in SERVERS:
            if other != name:
                assert endpoints[keys[other]] == "%s:%d" % (UPLINK[other], PORTS[other]), (name, other)
    # the road warrior has only the hub
    assert list(wv.allowed_ips(nodes[NOTEBOOK], IF)) == [keys["wf-mesh-vpn"]]


def test_every_server_reaches_every_other(nodes):
    for a, b in itertools.permutations(SERVERS, 2):
        for family in (4, 6):
            target = addr(nodes[b], family)
            route = nodes[a].check_output("ip -%d route get %s" % (family, target))
            assert " dev %s " % IF in route, (a, b, route)
            nodes[a].run_expect([0], "ping -%d -c 1 -W 2 %s" % (family, target))


def test_mesh_members_talk_directly(nodes):
    """root -> db goes straight to db (its own peer), not through the hub."""
    root, db = nodes["wf-mesh-root"], nodes["wf-mesh-db"]
    db_key = wv.public_key(db, IF)
    assert wv.allowed_ips(root, IF)[db_key] == sorted(["%s/32" % addr(db), "%s/128" % addr(db, 6)])
    before = root.check_output("wg show %s transfer" % IF)
    root.run_expect([0], "ping -c 3 -s 1000 -W 2 %s" % addr(db))
    after = root.check_output("wg show %s transfer" % IF)
    sent = {line.split()[0]: int(line.split()[2]) for line in after.splitlines()}
    sent_before = {line.split()[0]: int(line.split()[2]) for line in before.splitlines()}
    assert sent[db_key] - sent_before[db_key] >= 3000


def test_road_warrior_reaches_all_servers(nodes):
    notebook = nodes[NOTEBOOK]
    for name in SERVERS:
        for family in (4, 6):
            notebook.run_expect([0], "ping -%d -c 2 -W 2 %s" % (family, addr(nodes[name], family)))
    # through the hub, TCP and UDP too, both families
    for family in (4, 6):
        wv.assert_tcp_and_udp_reach(notebook, nodes[SERVERS[-1]], addr(nodes[SERVERS[-1]], family))


def test_handshakes_recent(nodes):
    for name in SERVERS:
        wv.wait_for_handshakes(nodes[name], IF, 4 if name == "wf-mesh-vpn" else 3)  # the hub also has the notebook
    wv.wait_for_handshakes(nodes[NOTEBOOK], IF, 1)


def test_firewall_restricts_mesh_ports(nodes):
    for name in MESH:
        rules = nodes[name].check_output("nft list table inet wirefleet")
        port = PORTS[name]
        allowed = set(re.findall(r"ip saddr (\S+) udp dport %d .*accept" % port, rules))
        assert allowed == {UPLINK[o] for o in SERVERS if o != name}, rules
        assert re.search(r"udp dport %d counter .* drop" % port, rules), rules
        assert not re.search(r"^\s*udp dport %d counter .* accept" % port, rules, re.M), rules
    # the hub's port stays open: its road warriors have no endpoint to allow
    hub_rules = nodes["wf-mesh-vpn"].check_output("nft list table inet wirefleet")
    assert re.search(r"^\s*udp dport 51820 counter .* accept", hub_rules, re.M)
    # Only the hub forwards (for the road warriors). (Containers inherit the host's ip_forward=1, so the
    # mesh members are checked for wirefleet's sysctl file, not for the value.)
    hub = nodes["wf-mesh-vpn"]
    assert hub.sysctl("net.ipv4.ip_forward") == 1 and hub.sysctl("net.ipv6.conf.all.forwarding") == 1
    content = hub.file("/etc/sysctl.d/60-wirefleet.conf").content_string
    assert "net.ipv4.ip_forward = 1" in content and "net.ipv6.conf.all.forwarding = 1" in content
    for name in MESH:
        assert not nodes[name].file("/etc/sysctl.d/60-wirefleet.conf").exists


def _drop_counter(host, port):
    rules = host.check_output("nft list table inet wirefleet")
    match = re.search(r"udp dport %d counter packets (\d+) bytes \d+ drop" % port, rules)
    return int(match.group(1)) if match else 0


def test_outsider_cannot_get_through_restricted_port(nodes):
    """A container that is not a peer, with a real key that wf-mesh-root even knows (added by hand),
    never completes a handshake: root's restricted port drops it. A known peer's handshake does."""
    root, outsider = nodes["wf-mesh-root"], nodes["wf-mesh-outsider"]
    root_vpn = addr(root)
    assert not any(OUTSIDER_VPN + "/32" in nets for nets in wv.allowed_ips(root, IF).values())
    outsider.run("wg-quick down wgx")
    outsider.run_expect([0], "umask 077; wg genkey > /etc/wireguard/wgx.key")
    outsider_key = outsider.check_output("wg pubkey < /etc/wireguard/wgx.key")
    outsider.run_expect([0], "printf '%%s\\n' '[Interface]' \"PrivateKey = $(cat /etc/wireguard/wgx.key)\" "
                             "'Address = %s/32' '[Peer]' 'PublicKey = %s' 'Endpoint = 198.18.42.11:51821' "
                             "'AllowedIPs = %s/32' 'PersistentKeepalive = 1' > /etc/wireguard/wgx.conf"
                        % (OUTSIDER_VPN, wv.public_key(root, IF), root_vpn))
    dropped_before = _drop_counter(root, 51821)
    root.run_expect([0], "wg set %s peer %s allowed-ips %s/32" % (IF, outsider_key, OUTSIDER_VPN))
    try:
        outsider.run_expect([0], "wg-quick up wgx")
        outsider.run("ping -c 3 -W 2 %s" % root_vpn)
        time.sleep(6)  # handshake initiations are retried every 5 s
        knocked = outsider.check_output("wg show wgx transfer").split()[2]  # bytes sent by the outsider
        outsider_hs = outsider.check_output("wg show wgx latest-handshakes").split()[1]
        root_hs = dict(line.split() for line in root.check_output("wg show %s latest-handshakes" % IF).splitlines())
        ping = outsider.run("ping -c 2 -W 2 %s" % root_vpn)
        dropped = _drop_counter(root, 51821) - dropped_before
        print("outsider: sent %s bytes of handshake initiations, root dropped %d packets" % (knocked, dropped))
    finally:
        outsider.run("wg-quick down wgx")
        root.run("wg set %s peer %s remove" % (IF, outsider_key))
    assert int(knocked) > 0, "the outsider never sent anything"
    assert outsider_hs == "0", "the outsider completed a handshake through the restricted port"
    assert root_hs[outsider_key] == "0"
    assert ping.rc != 0
    assert dropped >= 2, "root's firewall did not drop the outsider's packets"
    # The same port, right now, for a known peer: db starts afresh and initiates a handshake to root:51821.
    db = nodes["wf-mesh-db"]
    db_key = wv.public_key(db, IF)
    started = int(root.check_output("date +%s"))
    db.run_expect([0], "systemctl restart wg-quick@%s" % IF)
    db.run_expect([0], "ping -c 2 -W 2 %s" % root_vpn)
    root_hs = dict(line.split() for line in root.check_output("wg show %s latest-handshakes" % IF).splitlines())
    assert int(root_hs[db_key]) >= started, "a known peer could not handshake on the same port"
    # Leave the fleet as found: db's other peers still hold sessions from before the restart, which db
    # no longer knows; db's first packet to each makes a new one (else they heal only after ~15 s).
    for name in SERVERS:
        if name not in ("wf-mesh-db", "wf-mesh-root"):
            db.run_expect([0], "ping -c 1 -W 2 %s" % addr(nodes[name]))
    assert outsider_key not in root.check_output("wg show %s peers" % IF)
