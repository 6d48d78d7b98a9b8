"""Scenario 1, star through a VPS hub: what a user checks, on real packets (molecule/star/molecule.yml).

The last tests grow the running fleet by wf-star-newbie with ansible-playbook and an extra inventory
(only the hub and the newcomer change, a ping across an existing tunnel loses nothing), remove it, then add
it again with `--limit wf-star-newbie`, which must name the hub it left behind.
"""

import os
import re

import pytest

import wirefleet_verify as wv
from star_fleet import (CLIENTS, HUB_UPLINK, IF, INTERNET, MANAGED, NEWBIE, VPN, Ping, changed_on_host, nat_probe,
                        node, run_playbook, run_site, summary)


@pytest.fixture(scope="module", params=MANAGED)
def managed(request):
    return node(request.param)


# ---------------------------------------------------------------- the converged fleet

def test_service_and_private_files(managed):
    wv.assert_service_up(managed, IF)
    wv.assert_private_files(managed, IF)


def test_peer_lists_and_allowed_ips(hub, desktop, laptop, pi):
    hub_allowed = wv.allowed_ips(hub, IF)
    clients = (desktop, laptop, pi)
    assert sorted(hub_allowed) == sorted(wv.public_key(c, IF) for c in clients)
    for client in clients:
        # the hub routes exactly the client's /32 to it; the client sends the whole VPN to the hub
        assert hub_allowed[wv.public_key(client, IF)] == ["%s/32" % wv.tunnel_address(client, IF)]
        assert wv.allowed_ips(client, IF) == {wv.public_key(hub, IF): [VPN]}
        assert client.check_output("wg show %s endpoints", IF).split()[1] == "%s:51820" % HUB_UPLINK
    assert hub.check_output("wg show %s listen-port", IF) == "51820"
    assert wv.tunnel_address(hub, IF) == "198.18.41.1"


def test_handshakes_recent(hub, desktop, laptop, pi):
    for client in (desktop, laptop, pi):
        client.run_expect([0], "ping -c 1 -W 2 198.18.41.1")
        wv.wait_for_handshakes(client, IF, 1)
    wv.wait_for_handshakes(hub, IF, 3)


def test_client_reaches_client_through_hub(hub, desktop, laptop, pi):
    laptop_vpn = wv.tunnel_address(laptop, IF)
    desktop_vpn = wv.tunnel_address(desktop, IF)
    assert " dev wg0 " in desktop.check_output("ip -4 route get %s", laptop_vpn)
    # On the hub the echo request crosses wg0 (in and out again) ...
    on_hub = wv.start_capture(hub, IF, "icmp and src host %s and dst host %s" % (desktop_vpn, laptop_vpn), "hub", count=2)
    # ... and the docker bridge never carries a tunnel address: nothing but UDP reaches the laptop's eth0.
    on_wire = wv.start_capture(laptop, "eth0", "icmp or (ip and not udp)", "wire")
    desktop.run_expect([0], "ping -c 3 -W 2 %s", laptop_vpn)
    hub_lines = wv.read_capture(hub, on_hub, count=2)
    assert len(hub_lines) >= 2, hub_lines  # in on wg0 and forwarded out of wg0
    assert all("%s > %s: ICMP echo request" % (desktop_vpn, laptop_vpn) in line for line in hub_lines), hub_lines
    assert wv.read_capture(laptop, on_wire, wait=1) == []
    pi.run_expect([0], "ping -c 2 -W 2 %s", desktop_vpn)
    wv.assert_tcp_and_udp_reach(desktop, laptop, laptop_vpn)  # forwarded by the hub, not only ICMP


def test_hub_forwards_and_nats(hub):
    assert hub.sysctl("net.ipv4.ip_forward") == 1
    assert "net.ipv4.ip_forward = 1" in hub.file("/etc/sysctl.d/60-wirefleet.conf").content_string
    rules = hub.check_output("nft list table inet wirefleet")
    assert 'iifname "wg0" oifname "wg0"' in rules and "between peers" in rules
    assert re.search(r'oifname "eth0" ip saddr 198\.18\.41\.0/24 .*masquerade', rules), rules
    assert hub.service("wirefleet-nftables").is_enabled


def test_clients_have_no_router_duties(desktop, laptop, pi):
    for client in (desktop, laptop, pi):
        assert client.run("nft list table inet wirefleet").rc != 0
        assert not client.file("/etc/sysctl.d/60-wirefleet.conf").exists


def test_nat_on_real_packets(hub, desktop, internet):
    """A packet a peer sends into the tunnel towards the uplink leaves the hub with the hub's address
    (star_fleet.nat_probe: without the masquerade wf-star-internet would see nothing)."""
    rc, lines = nat_probe(hub, desktop, internet)
    assert rc == 0
    assert lines and "IP %s > %s: ICMP echo request" % (HUB_UPLINK, INTERNET) in lines[0], lines


# ---------------------------------------------------------------- growing the fleet

GROW = """
all:
  children:
    wireguard_clients:
      hosts:
        wf-star-newbie:
"""

SHRINK = """
all:
  children:
    wireguard_clients:
      hosts:
        wf-star-newbie:
          wireguard_state: absent
"""


def _assert_only_hub_and_newbie_changed(report):
    changed = changed_on_host(report)
    assert changed.get("wf-star-hub"), "the hub did not change"
    assert changed.get(NEWBIE), "the new host did not change"
    for name in CLIENTS:
        assert changed.get(name) == [], "%s changed: %s" % (name, changed.get(name))
    assert report["stats"]["wf-star-laptop"]["changed"] == 0 and report["stats"]["wf-star-pi"]["changed"] == 0


def test_grow_fleet(tmp_path, hub, desktop, laptop, pi, newbie):
    before = set(wv.allowed_ips(hub, IF))
    assert len(before) == 3
    ping = Ping(desktop, wv.tunnel_address(laptop, IF))
    try:
        report = run_site(tmp_path, GROW)
    finally:
        sent, missing, out = ping.stop()
    print("grow: site.yml %.0f s, ping %d packets across desktop->hub->laptop, lost %s"
          % (report["seconds"], sent, missing))
    assert missing == [], "ping across an existing tunnel lost packets during the converge:\n%s" % out
    assert sent >= 4 * report["seconds"] * 0.8  # the ping really ran all along (5/s)
    _assert_only_hub_and_newbie_changed(report)

    newbie_key = wv.public_key(newbie, IF)
    after = wv.allowed_ips(hub, IF)
    assert set(after) == before | {newbie_key}
    assert after[newbie_key] == ["%s/32" % wv.tunnel_address(newbie, IF)]
    wv.assert_private_files(newbie, IF)
    newbie.run_expect([0], "ping -c 2 -W 2 %s", wv.tunnel_address(pi, IF))  # through the hub
    wv.wait_for_handshakes(newbie, IF, 1)
    wv.wait_for_handshakes(hub, IF, 4)


def test_shrink_fleet(tmp_path, hub, desktop, laptop, newbie):
    newbie_key = wv.public_key(newbie, IF)
    ping = Ping(desktop, wv.tunnel_address(laptop, IF))
    try:
        report = run_site(tmp_path, SHRINK)
    finally:
        sent, missing, out = ping.stop()
    print("shrink: site.yml %.0f s, ping %d packets, lost %s" % (report["seconds"], sent, missing))
    assert missing == [], "ping across an existing tunnel lost packets during the converge:\n%s" % out
    assert sent >= 4 * report["seconds"] * 0.8
    _assert_only_hub_and_newbie_changed(report)
    assert newbie_key not in wv.allowed_ips(hub, IF)
    assert len(wv.allowed_ips(hub, IF)) == 3
    assert newbie_key not in hub.file("/etc/wireguard/wg0.conf").content_string
    assert newbie.run("ip link show wg0").rc != 0
    assert not newbie.file("/etc/wireguard/wg0.conf").exists
    assert not newbie.service("wg-quick@wg0").is_enabled


def test_limited_run_names_the_hub_it_left_behind(tmp_path, hub, newbie):
    """`--limit wf-star-newbie` adds the newcomer but leaves the hub without its peer: the run says so, names
    the hub and the command to run; a hub that was never told stays as it was."""
    hub_peers = wv.allowed_ips(hub, IF)
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    report = run_playbook(tmp_path, converge, GROW, limit=NEWBIE)
    lines = summary(report)
    print("\n".join(lines))
    behind = [line for line in lines if line.startswith("Left behind")]
    assert len(behind) == 1 and ": wf-star-hub. Run: ansible-playbook " in behind[0], lines
    assert behind[0].endswith("playbooks/site.yml --limit wf-star-hub"), behind[0]
    assert wv.allowed_ips(hub, IF) == hub_peers
    assert newbie.file("/etc/wireguard/wg0.conf").exists
