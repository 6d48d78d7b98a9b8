"""Scenario 7 (home federation with public IPv6), converged by playbooks/site.yml: verify on real packets.

vps hub; nas joins the home LAN to the VPN from behind the homerouter's NAT; laptop and phone (unmanaged, its
rendered config loaded here) roam in; outsider is somebody on the internet. Hosts: molecule/home_federation/molecule.yml.
"""

import os
import re
import stat
import time

import pytest

import wirefleet_verify as wv

N = "wf-home_federation-%s"
VPS, NAS, LAPTOP, PHONE, LANHOST, HOMEROUTER, OUTSIDER = (
    N % n for n in ("vps", "nas", "laptop", "phone", "lanhost", "homerouter", "outsider"))
MANAGED = [VPS, NAS, LAPTOP]
VPS_VPN, VPS_INTERNET, HOMEROUTER_INTERNET = "198.18.75.1", "198.18.72.10", "198.18.72.20"
LANHOST_ADDRESS, OUTSIDER_ADDRESS, OUTSIDER6 = "198.18.74.20", "198.18.72.99", "2001:db8:1:2::99"
VPN6 = "2001:db8:1:2:100::/72"


def address(node, interface="wg0", family=4):
    out = node.check_output("ip -%s -o addr show dev %s scope global", str(family), interface)
    return out.splitlines()[0].split()[3].split("/")[0]


def listen(node, port, family=6):
    """A TCP listener (nc -lk) for about a minute, as a user's service would be."""
    node.run("pkill -f 'nc -%s -lk %s'" % (family, port))
    node.run_expect([0], "nohup timeout 60 nc -%s -lk %s >/dev/null 2>&1 &" % (family, port))
    time.sleep(0.5)


@pytest.fixture(scope="module")
def vps():
    return wv.host(VPS)


@pytest.fixture(scope="module")
def nas():
    return wv.host(NAS)


@pytest.fixture(scope="module")
def laptop():
    return wv.host(LAPTOP)


@pytest.fixture(scope="module")
def lanhost():
    return wv.host(LANHOST)


@pytest.fixture(scope="module")
def outsider():
    return wv.host(OUTSIDER)


@pytest.fixture(scope="module")
def phone():
    """The phone stand-in with the config wirefleet rendered for it (DNS left to the 'app')."""
    node = wv.host(PHONE)
    with open(os.path.join(wv.STORE, "devices", PHONE, "wg0.conf"), encoding="utf-8") as handle:
        config = "".join(line for line in handle if not line.startswith("DNS"))
    node.run("wg-quick down wg0")
    node.run_expect([0], "install -m 0600 /dev/stdin /etc/wireguard/wg0.conf <<'EOF'\n%sEOF" % config)
    node.run_expect([0], "wg-quick up wg0")
    yield node
    node.run("wg-quick down wg0")


@pytest.mark.parametrize("name", MANAGED)
def test_services_and_private_files(name):
    node = wv.host(name)
    wv.assert_service_up(node, "wg0")
    wv.assert_private_files(node, "wg0")


def test_handshakes(vps, nas, laptop, phone):
    for node in (nas, laptop, phone):
        node.run_expect([0], "ping -c 2 -W 2 %s", VPS_VPN)
    wv.wait_for_handshakes(vps, "wg0", 3)
    for node in (nas, laptop, phone):
        wv.wait_for_handshakes(node, "wg0", 1)


def test_nas_is_behind_the_nat(vps, nas):
    # no public endpoint: the vps learnt the NAS's address from its packets, i.e. the homerouter's NAT
    endpoints = dict(line.split() for line in vps.check_output("wg show wg0 endpoints").splitlines())
    assert endpoints[wv.public_key(nas, "wg0")].startswith(HOMEROUTER_INTERNET + ":")
    assert "Endpoint" not in vps.file("/etc/wireguard/wg0.conf").content_string.split("# %s" % NAS)[1].split("[Peer]")[0]
    # and the NAS keeps the mapping open itself
    assert nas.check_output("wg show wg0 persistent-keepalive").split()[1] == "25"
    assert " via 198.18.74.1 dev home0 " in nas.check_output("ip -4 route get %s", VPS_INTERNET)


def test_allowed_ips(vps, nas, laptop):
    hub_key = wv.public_key(vps, "wg0")
    assert wv.allowed_ips(laptop, "wg0")[hub_key] == sorted(["198.18.75.0/24", VPN6, "198.18.74.0/24"])
    towards_nas = wv.allowed_ips(vps, "wg0")[wv.public_key(nas, "wg0")]
    assert "198.18.74.0/24" in towards_nas
    psks = dict(line.split() for line in vps.check_output("wg show wg0 preshared-keys").splitlines())
    assert all(value != "(none)" for value in psks.values()) and len(psks) == 3


def test_sysctl(vps, nas):
    for node in (vps, nas):
        assert node.sysctl("net.ipv4.ip_forward") == 1
        assert node.sysctl("net.ipv6.conf.all.forwarding") == 1


def test_firewall(vps, nas):
    rules = vps.check_output("nft list table inet wirefleet")
    assert re.search(r'oifname "eth0" ip saddr 198\.18\.75\.0/24 .*masquerade', rules)
    assert "ip6 saddr %s" % VPN6 not in rules.split("chain postrouting")[-1]  # never NAT for public IPv6
    assert re.search(r'iifname "eth0" oifname "wg0" ip6 daddr 2001:db8:1:2:100::/72 ct state new .*reject', rules)
    assert re.search(r'oifname "wg0" ip6 daddr 2001:db8:1:2:100::/72 ct state established,related .*accept', rules)
    nas_rules = nas.check_output("nft list table inet wirefleet")
    assert 'iifname "wg0" ip daddr 198.18.74.0/24' in nas_rules


def test_lanhost_reaches_laptop_and_laptop_sees_its_lan_address(lanhost, laptop):
    laptop_vpn = address(laptop)
    lanhost.run_expect([0], "ping -c 3 -W 2 %s", laptop_vpn)
    lines = wv.capture(laptop, "wg0", "icmp and dst host %s" % laptop_vpn, lanhost, "ping -c 2 -W 2 %s" % laptop_vpn)
    assert lines and "IP %s > %s: ICMP echo request" % (LANHOST_ADDRESS, laptop_vpn) in lines[0], lines


def test_laptop_reaches_lanhost(laptop, lanhost):
    laptop_vpn = address(laptop)
    lines = wv.capture(lanhost, "home0", "icmp and dst host %s" % LANHOST_ADDRESS, laptop,
                       "ping -c 3 -W 2 %s" % LANHOST_ADDRESS)
    assert lines and "IP %s > %s: ICMP echo request" % (laptop_vpn, LANHOST_ADDRESS) in lines[0], lines
    laptop.run_expect([0], "ping -c 2 -W 2 %s", LANHOST_ADDRESS)
    wv.assert_tcp_and_udp_reach(laptop, lanhost, LANHOST_ADDRESS)


def test_phone_full_tunnel_reaches_outsider_over_ipv4(phone, outsider):
    assert "0.0.0.0/0" in phone.check_output("wg show wg0 allowed-ips")
    assert " dev wg0 table 51820 " in phone.check_output("ip -4 route get %s", OUTSIDER_ADDRESS)
    lines = wv.capture(outsider, "eth0", "icmp and dst host %s" % OUTSIDER_ADDRESS, phone,
                       "ping -c 3 -W 2 %s" % OUTSIDER_ADDRESS)
    assert lines and "IP %s > %s: ICMP echo request" % (VPS_INTERNET, OUTSIDER_ADDRESS) in lines[0], lines
    phone.run_expect([0], "ping -c 2 -W 2 %s", OUTSIDER_ADDRESS)
    phone.run_expect([0], "ping -c 2 -W 2 %s", LANHOST_ADDRESS)  # and home, through vps and nas
    wv.assert_tcp_and_udp_reach(phone, outsider, OUTSIDER_ADDRESS)  # out of the exit, NATed


def test_outsider_cannot_open_connections_to_clients_public_ipv6(vps, phone, laptop, outsider):
    phone6 = address(phone, family=6)
    laptop6 = address(laptop, family=6)
    assert phone6.startswith("2001:db8:1:2:100:") and laptop6.startswith("2001:db8:1:2:100:")
    # routing works both ways (ICMPv6 is let through by design) ...
    outsider.run_expect([0], "ping -6 -c 2 -W 2 %s", phone6)
    # ... the services listen and answer through the tunnel (vps -> phone is not forwarded traffic) ...
    for node in (phone, laptop):
        listen(node, 5555)
    vps.run_expect([0], "nc -6 -z -w 3 %s 5555", phone6)
    vps.run_expect([0], "nc -6 -z -w 3 %s 5555", laptop6)
    before = vps.check_output("nft list table inet wirefleet")
    # ... but a new connection from the internet is refused at the hub
    for target in (phone6, laptop6):
        result = outsider.run("nc -6 -z -w 3 %s 5555", target)
        assert result.rc != 0, "outsider opened a TCP connection to %s" % target
    rejected = r'counter packets (\d+) .* reject .*comment "wg0: protect public IPv6'
    assert int(re.search(rejected, vps.check_output("nft list table inet wirefleet")).group(1)) \
        > int(re.search(rejected, before).group(1))


def test_client_reaches_out_over_ipv6(phone, outsider):
    phone6 = address(phone, family=6)
    listen(outsider, 5556)
    # (tcpdump's tcp[tcpflags] does not work on IPv6: the first packet of the connection is its SYN)
    lines = wv.capture(outsider, "eth0", "ip6 and tcp dst port 5556", phone,
                       "nc -6 -z -w 3 %s 5556" % OUTSIDER6)
    # no NAT for public IPv6: the outsider sees the phone's own address
    assert lines and "IP6 %s." % phone6 in lines[0] and "Flags [S]" in lines[0], lines
    phone.run_expect([0], "nc -6 -z -w 3 %s 5556", OUTSIDER6)  # replies (established) come back


def test_device_files_private():
    folder = os.path.join(wv.STORE, "devices", PHONE)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in ("wg0.conf", "wg0.png", "wg0.txt"):
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name
    with open(os.path.join(folder, "wg0.conf"), encoding="utf-8") as handle:
        config = handle.read()
    assert "AllowedIPs = 0.0.0.0/0, ::/0" in config and "DNS = 198.18.75.1" in config
    assert re.search(r"^PresharedKey = \S{44}$", config, re.M)


def test_home_hosts_untouched(lanhost):
    assert not lanhost.package("wireguard-tools").is_installed
    assert not wv.host(HOMEROUTER).package("wireguard-tools").is_installed
