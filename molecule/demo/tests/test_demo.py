"""Verify the demo fleet converged by playbooks/site.yml: tunnels, routing through hub and gateway, hardening.

Hosts (molecule/demo/molecule.yml): wf-demo-hub, wf-demo-gateway (LAN 198.18.24.0/24 behind it),
wf-demo-laptop, wf-demo-lanhost (no WireGuard) and wf-demo-phone (unmanaged: its rendered config is loaded here).
"""

import os
import re
import stat

import pytest
import wirefleet_verify as wv

STORE = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "build", "demo-store")
MANAGED = ["wf-demo-hub", "wf-demo-gateway", "wf-demo-laptop"]
HUB_VPN = "198.18.25.1"
LANHOST = "198.18.24.20"


@pytest.fixture(scope="module", params=MANAGED)
def managed(request):
    return wv.host(request.param)


@pytest.fixture(scope="module")
def hub():
    return wv.host("wf-demo-hub")


@pytest.fixture(scope="module")
def gateway():
    return wv.host("wf-demo-gateway")


@pytest.fixture(scope="module")
def laptop():
    return wv.host("wf-demo-laptop")


@pytest.fixture(scope="module")
def lanhost():
    return wv.host("wf-demo-lanhost")


@pytest.fixture(scope="module")
def phone():
    """The phone stand-in with the config wirefleet rendered for it (DNS left to the 'app')."""
    host = wv.host("wf-demo-phone")
    with open(os.path.join(STORE, "devices", "wf-demo-phone", "wg0.conf"), encoding="utf-8") as handle:
        config = "".join(line for line in handle if not line.startswith("DNS"))
    host.run("wg-quick down wg0")
    host.run_expect([0], "install -m 0600 /dev/stdin /etc/wireguard/wg0.conf <<'EOF'\n%sEOF" % config)
    host.run_expect([0], "wg-quick up wg0")
    yield host
    host.run("wg-quick down wg0")


def test_wg_quick_enabled_and_running(managed):
    service = managed.service("wg-quick@wg0")
    assert service.is_enabled
    assert service.is_running


def test_userspace_implementation(managed):
    # No WireGuard in this kernel: the install role chose wireguard-go and wg-quick uses it.
    assert managed.package("wireguard-go").is_installed
    assert managed.process.filter(comm="wireguard-go")


def test_config_and_key_private(managed):
    for path in ("/etc/wireguard/wg0.conf", "/etc/wireguard/wg0.key"):
        item = managed.file(path)
        assert item.user == "root" and item.group == "root"
        assert item.mode == 0o600, path
    assert managed.file("/etc/wireguard").mode == 0o700
    config = managed.file("/etc/wireguard/wg0.conf").content_string
    assert re.search(r"^PrivateKey = \S{44}$", config, re.M)
    assert "Written by wirefleet.wireguard" in config
    managed.run_expect([0], "wg-quick strip wg0")


def test_preshared_keys_agree(hub, laptop):
    hub_psks = dict(line.split() for line in hub.check_output("wg show wg0 preshared-keys").splitlines())
    laptop_psks = dict(line.split() for line in laptop.check_output("wg show wg0 preshared-keys").splitlines())
    hub_key = hub.check_output("wg show wg0 public-key")
    laptop_key = laptop.check_output("wg show wg0 public-key")
    assert laptop_psks[hub_key] != "(none)"
    assert hub_psks[laptop_key] == laptop_psks[hub_key]


def test_peer_lists(hub, gateway, laptop):
    assert len(hub.check_output("wg show wg0 peers").split()) == 3  # gateway, laptop, phone
    assert len(gateway.check_output("wg show wg0 peers").split()) == 1
    assert len(laptop.check_output("wg show wg0 peers").split()) == 1
    allowed = laptop.check_output("wg show wg0 allowed-ips")
    assert "198.18.25.0/24" in allowed and "198.18.24.0/24" in allowed


def test_routes(laptop, hub):
    assert " dev wg0 " in laptop.check_output("ip -4 route get %s", LANHOST)
    assert " dev wg0 " in hub.check_output("ip -4 route get %s", LANHOST)


def test_laptop_reaches_lanhost_through_hub_and_gateway(laptop, lanhost):
    laptop.run_expect([0], "ping -c 3 -W 2 %s", LANHOST)
    lanhost.run_expect([0], "ping -c 2 -W 2 %s", laptop.check_output("ip -4 -o addr show dev wg0").split()[3].split("/")[0])
    wv.assert_tcp_and_udp_reach(laptop, lanhost, LANHOST)


def test_handshakes_recent(hub, gateway, laptop, phone):
    phone.run_expect([0], "ping -c 2 -W 2 %s", HUB_VPN)
    gateway.run_expect([0], "ping -c 1 -W 2 %s", HUB_VPN)
    laptop.run_expect([0], "ping -c 1 -W 2 %s", HUB_VPN)
    wv.wait_for_handshakes(hub, "wg0", 3, timeout=30)
    for spoke in (gateway, laptop, phone):
        wv.wait_for_handshakes(spoke, "wg0", 1, timeout=30)


def test_phone_full_tunnel_reaches_lanhost(phone, lanhost):
    # Full tunnel: the default route goes through wg0 (wg-quick's fwmark table), the LAN via hub and gateway.
    assert "0.0.0.0/0" in phone.check_output("wg show wg0 allowed-ips")
    phone.run_expect([0], "ping -c 2 -W 2 %s", LANHOST)
    wv.assert_tcp_and_udp_reach(phone, lanhost, LANHOST)


def test_sysctl(hub, gateway, laptop):
    for host in (hub, gateway):
        assert host.sysctl("net.ipv4.ip_forward") == 1
        content = host.file("/etc/sysctl.d/60-wirefleet.conf").content_string
        assert "net.ipv4.ip_forward = 1" in content
    assert not laptop.file("/etc/sysctl.d/60-wirefleet.conf").exists


def test_firewall_rules(hub, gateway, laptop):
    hub_rules = hub.check_output("nft list table inet wirefleet")
    assert 'udp dport 51820' in hub_rules
    assert 'iifname "wg0" oifname "wg0"' in hub_rules and "between peers" in hub_rules
    assert re.search(r'oifname "eth0" ip saddr 198\.18\.25\.0/24 .*masquerade', hub_rules)
    gateway_rules = gateway.check_output("nft list table inet wirefleet")
    assert 'iifname "wg0" ip daddr 198.18.24.0/24' in gateway_rules
    assert 'not routed by the topology' in gateway_rules
    for host in (hub, gateway):
        assert host.service("wirefleet-nftables").is_enabled
        # docker's own rules in the container's ruleset are still there
        assert "DOCKER_OUTPUT" in host.check_output("nft list ruleset")
    assert laptop.run("nft list table inet wirefleet").rc != 0


def test_lanhost_untouched(lanhost):
    assert not lanhost.package("wireguard-tools").is_installed
    assert not lanhost.file("/etc/wireguard/wg0.conf").exists


def test_device_files_private():
    folder = os.path.join(STORE, "devices")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(folder, "wf-demo-phone")).st_mode) == 0o700
    for name in ("wg0.conf", "wg0.png", "wg0.txt"):
        path = os.path.join(folder, "wf-demo-phone", name)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    with open(os.path.join(folder, "wf-demo-phone", "wg0.png"), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(os.path.join(folder, "wf-demo-phone", "wg0.conf"), encoding="utf-8") as handle:
        config = handle.read()
    assert "DNS = 198.18.25.1" in config and "AllowedIPs = 0.0.0.0/0" in config
    assert re.search(r"^PrivateKey = \S{44}$", config, re.M)
    assert re.search(r"^PresharedKey = \S{44}$", config, re.M)


def test_store_layout():
    for host in MANAGED + ["wf-demo-phone"]:
        assert os.path.exists(os.path.join(STORE, "public", host, "demo.pub"))
    assert not os.path.exists(os.path.join(STORE, "private", "wf-demo-hub"))  # host keys never leave the host
    assert stat.S_IMODE(os.stat(os.path.join(STORE, "private", "wf-demo-phone", "demo.key")).st_mode) == 0o600
    psks = sorted(os.listdir(os.path.join(STORE, "psk", "demo")))
    assert psks == ["wf-demo-gateway--wf-demo-hub.psk", "wf-demo-hub--wf-demo-laptop.psk", "wf-demo-hub--wf-demo-phone.psk"]
    assert os.path.exists(os.path.join(STORE, "leases.json"))
