"""The seven reference scenarios, read from inventories/ the way ansible-playbook reads them,
must produce exactly the AllowedIPs, addresses and system needs the reference setups use."""

from __future__ import annotations

import pytest
from example_inventories import compute, names


def iface(result, host, name):
    return result["hosts"][host]["interfaces"][name]


def allowed(result, host, name):
    """{peer: AllowedIPs} of one interface."""
    return {peer["name"]: peer["allowed_ips"] for peer in iface(result, host, name)["peers"]}


def test_star_peers_route_the_vpn_through_the_hub_which_forwards_and_nats():
    result = compute("star")
    for client in ("desktop", "laptop", "raspberrypi"):
        assert allowed(result, client, "wg0") == {"vps": ["10.0.0.0/24"]}
        assert iface(result, client, "wg0")["peers"][0]["keepalive"] == 25
        address = iface(result, client, "wg0")["addresses"][0].split("/")[0]
        assert allowed(result, "vps", "wg0")[client] == ["%s/32" % address]
    system = result["hosts"]["vps"]["system"]
    assert system["forward_ipv4"] is True
    assert system["nat"] == [{"interface": "wg0", "source": "10.0.0.0/24", "out_interface": None}]
    assert system["forwarding"][0]["between_peers"] is True
    assert iface(result, "vps", "wg0")["addresses"] == ["10.0.0.1/24"]


def test_mesh_servers_list_each_other_with_host_routes_on_their_own_ports():
    result = compute("mesh")
    addr = {h: iface(result, h, "wg")["addresses"] for h in result["hosts"]}
    host_routes = {h: ["%s/32" % a[0].split("/")[0], "%s/128" % a[1].split("/")[0]] for h, a in addr.items()}
    root = allowed(result, "hetzner-root", "wg")
    assert root["ovh-db"] == host_routes["ovh-db"]
    assert root["backup"] == host_routes["backup"]
    # The hub carries its road warriors, so every server can answer them.
    assert root["hetzner-vpn"] == host_routes["hetzner-vpn"] + host_routes["desktop"] + host_routes["notebook"]
    ports = {h: iface(result, h, "wg")["listen_port"] for h in ("hetzner-vpn", "hetzner-root", "ovh-db", "backup")}
    assert ports == {"hetzner-vpn": 51820, "hetzner-root": 51821, "ovh-db": 51822, "backup": 51823}
    # Partial mesh: backup talks only to the two Hetzner machines.
    assert set(allowed(result, "backup", "wg")) == {"hetzner-vpn", "hetzner-root"}
    assert "backup" not in allowed(result, "ovh-db", "wg")
    # Road warriors: the whole VPN range through the hub, keepalive 25, no endpoint known to servers.
    for warrior in ("desktop", "notebook"):
        assert allowed(result, warrior, "wg") == {"hetzner-vpn": ["10.200.0.0/24", "fd00:200::/64"]}
        assert iface(result, warrior, "wg")["peers"][0]["keepalive"] == 25
    hub_peers = {p["name"]: p for p in iface(result, "hetzner-vpn", "wg")["peers"]}
    assert hub_peers["desktop"]["endpoint"] is None
    # Port restricted to known peers where all peers have endpoints; open on the hub (roaming peers).
    listen = {h: result["hosts"][h]["system"]["listen"][0]["sources"] for h in ("ovh-db", "hetzner-vpn")}
    assert listen["ovh-db"] == ["203.0.113.10", "203.0.113.20"]
    assert listen["hetzner-vpn"] is None


def test_peer_to_site_on_the_router():
    result = compute("peer_to_site_router")
    laptop = iface(result, "laptop", "home0")
    assert laptop["addresses"] == ["10.10.11.2/24"]
    assert laptop["listen_port"] == 51000
    assert allowed(result, "laptop", "home0") == {"router": ["10.10.11.0/24", "10.10.10.0/24"]}
    assert laptop["routes"] == ["10.10.10.0/24"]
    router = iface(result, "router", "wg0")
    assert router["addresses"] == ["10.10.11.1/24"]
    assert router["listen_port"] == 51000
    assert allowed(result, "router", "wg0") == {"laptop": ["10.10.11.2/32"]}
    assert result["hosts"]["router"]["system"]["nat"] == []
    assert result["hosts"]["router"]["hints"] == []


def test_peer_to_site_on_an_internal_host_uses_proxy_arp():
    result = compute("peer_to_site_internal")
    assert iface(result, "pi4", "wg0")["addresses"] == ["10.10.10.10/32"]
    assert allowed(result, "pi4", "wg0") == {"laptop": ["10.10.10.11/32"]}
    assert iface(result, "laptop", "home_internal")["addresses"] == ["10.10.10.11/24"]
    assert allowed(result, "laptop", "home_internal") == {"pi4": ["10.10.10.0/24"]}
    system = result["hosts"]["pi4"]["system"]
    assert system["proxy_arp"] == [{"interface": "eth0", "wireguard_interface": "wg0"}]
    assert system["forward_ipv4"] is True and system["nat"] == []
    assert any("forward UDP port 51000 to 10.10.10.10" in hint for hint in result["hosts"]["pi4"]["hints"])


def test_site_to_site_routes_both_lans_over_a_transfer_net_without_nat():
    result = compute("site_to_site")
    assert allowed(result, "alpha", "wgA") == {"beta": ["10.10.11.0/24", "10.10.9.0/31"]}
    assert allowed(result, "beta", "wgB") == {"alpha": ["10.10.10.0/24", "10.10.9.0/31"]}
    assert iface(result, "alpha", "wgA")["addresses"] == ["10.10.9.0/31"]
    assert iface(result, "beta", "wgB")["addresses"] == ["10.10.9.1/31"]
    for gateway, peer_endpoint in (("alpha", "beta.example.org:51000"), ("beta", "alpha.example.org:51000")):
        entry = iface(result, gateway, "wgA" if gateway == "alpha" else "wgB")
        assert entry["peers"][0]["endpoint"] == peer_endpoint
        assert entry["peers"][0]["keepalive"] is None
        assert result["hosts"][gateway]["system"]["nat"] == []
        assert result["hosts"][gateway]["system"]["forward_ipv4"] is True


def test_full_tunnel_default_gateway():
    result = compute("full_tunnel")
    assert allowed(result, "laptop", "wg0") == {"vpn-gw": ["0.0.0.0/0"]}
    assert iface(result, "laptop", "wg0")["addresses"] == ["10.90.90.1/24"]
    assert iface(result, "laptop", "wg0")["dns"] == ["10.90.90.2"]
    assert result["hosts"]["laptop"]["system"]["src_valid_mark"] is True
    assert allowed(result, "vpn-gw", "gateway0") == {"laptop": ["10.90.90.1/32"]}
    assert iface(result, "vpn-gw", "gateway0")["addresses"] == ["10.90.90.2/24"]
    system = result["hosts"]["vpn-gw"]["system"]
    assert system["nat"] == [{"interface": "gateway0", "source": "10.90.90.0/24", "out_interface": None}]
    assert system["forwarding"][0]["to_uplink"] is True


def test_home_federation_with_public_ipv6():
    result = compute("home_federation")
    v4 = {h: iface(result, h, "wg0")["addresses"][0].split("/")[0] for h in result["hosts"]}
    v6 = {h: iface(result, h, "wg0")["addresses"][1].split("/")[0] for h in result["hosts"]}
    hub = allowed(result, "vps", "wg0")
    assert hub["nas"] == ["%s/32" % v4["nas"], "%s/128" % v6["nas"], "192.168.178.0/24"]
    assert hub["laptop"] == ["%s/32" % v4["laptop"], "%s/128" % v6["laptop"]]
    assert allowed(result, "laptop", "wg0") == {"vps": ["10.8.0.0/24", "2001:db8:1:2:100::/72", "192.168.178.0/24"]}
    assert allowed(result, "phone", "wg0") == {"vps": ["0.0.0.0/0", "::/0"]}
    # The NAS is behind NAT: it keeps the tunnel open, and routes the VPN for its LAN.
    assert allowed(result, "nas", "wg0") == {"vps": ["10.8.0.0/24", "2001:db8:1:2:100::/72"]}
    assert iface(result, "nas", "wg0")["peers"][0]["keepalive"] == 25
    assert iface(result, "nas", "wg0")["dns"] == []
    assert any("static route" in h and "192.168.178.0/24" in h for h in result["hosts"]["nas"]["hints"])
    vps = result["hosts"]["vps"]["system"]
    assert vps["protect_ipv6"] == [{"interface": "wg0", "prefix": "2001:db8:1:2:100::/72", "uplink": "eth0"}]
    # Public IPv6 is forwarded, never masqueraded; IPv4 is NATed for the full-tunnel phone.
    assert vps["nat"] == [{"interface": "wg0", "source": "10.8.0.0/24", "out_interface": "eth0"}]
    assert vps["forward_ipv6"] is True
    # One preshared key per peer pair, the same id on both ends.
    phone_psk = iface(result, "phone", "wg0")["peers"][0]["preshared_key_id"]
    hub_psk = {p["name"]: p["preshared_key_id"] for p in iface(result, "vps", "wg0")["peers"]}
    assert phone_psk == hub_psk["phone"] == "wg0/phone--vps"
    assert len(set(hub_psk.values())) == 3
    assert result["hosts"]["phone"]["managed"] is False


@pytest.mark.parametrize("name", names())
def test_every_example_inventory_is_valid(name):
    result = compute(name)
    assert result["hosts"]
