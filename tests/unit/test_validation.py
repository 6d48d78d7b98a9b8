# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One test per validation error of build_fleet.

Each asserts that TopologyErrors is raised, that the expected error is there, and that its message
names the host (or network) and the variable the user must fix. Where the inventory is otherwise
valid, the tests also pin the exact set of (where, variable) pairs, so no error hides behind another.
"""

from __future__ import annotations

import pytest

NET = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}}


def find(errors, where, variable, fragment=""):
    """The error at `where` about `variable` whose message contains `fragment`; checks str() names both."""
    for error in errors:
        if error.where == where and error.variable == variable and fragment in error.message:
            text = str(error)
            assert where in text and variable in text, text
            return error
    raise AssertionError("no error %s / %s / %r in:\n%s" % (where, variable, fragment, "\n".join(map(str, errors))))


def pairs(errors):
    return sorted({(e.where, e.variable) for e in errors})


@pytest.fixture
def star(hub):
    """A valid hub to hang spokes on."""
    return {"vps": hub(endpoint="vps.example.com")}


# --- syntax of single values -------------------------------------------------------------------

def test_invalid_cidr_network_ipv4(errors_of):
    errors = errors_of({"wg0": {"ipv4": "10.8.0.300/24"}}, {})
    find(errors, "network 'wg0'", "wireguard_networks.wg0.ipv4", "not a valid CIDR")
    assert len(errors) == 1


def test_invalid_cidr_lans(errors_of, star, gateway):
    errors = errors_of(NET, {**star, "gw": gateway(lans=["192.168.1.0/33"])})
    find(errors, "host 'gw'", "wireguard_lans", "'192.168.1.0/33' is not a valid CIDR")


def test_invalid_address(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(address="10.8.0.999")})
    find(errors, "host 'laptop'", "wireguard_address", "not a valid IP address")
    assert len(errors) == 1


def test_invalid_public_key_variable(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(public_key="not-a-key=")})
    find(errors, "host 'laptop'", "wireguard_public_key", "is not a WireGuard key")
    assert len(errors) == 1


def test_invalid_public_key_from_store(errors_of, star, client, wg_key):
    keys = {"vps": {"wg0": wg_key("vps")}, "laptop": {"wg0": wg_key("laptop")[:-2]}}
    errors = errors_of(NET, {**star, "laptop": client()}, public_keys=keys)
    error = find(errors, "host 'laptop'", "public key in the controller store (public/laptop/wg0.pub)", "is not a WireGuard key")
    assert "controller store" in str(error)
    assert len(errors) == 1


def test_interface_name_invalid_characters(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(interface="wg 0")})
    find(errors, "host 'laptop'", "wireguard_interface", "not a valid interface name")
    assert len(errors) == 1


def test_interface_name_longer_than_15(errors_of):
    errors = errors_of({"wg0": {"ipv4": "10.8.0.0/24", "interface": "a" * 16}}, {})
    find(errors, "network 'wg0'", "wireguard_networks.wg0.interface", "not a valid interface name")
    assert len(errors) == 1


def test_interface_name_of_15_is_fine(build, star, client):
    build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "interface": "a" * 15}}, {**star, "laptop": client()})


def test_port_out_of_range(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(port=65536)})
    find(errors, "host 'laptop'", "wireguard_port", "out of range")
    assert len(errors) == 1


def test_ipv6_address_on_ipv4_only_network(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(address6="fd00:8::5")})
    find(errors, "host 'laptop'", "wireguard_address6", "has no IPv6")
    assert len(errors) == 1


def test_wireguard_state_invalid(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(state="gone")})
    find(errors, "host 'laptop'", "wireguard_state", "not present or absent")
    assert len(errors) == 1


def test_unknown_network_setting(errors_of):
    errors = errors_of({"wg0": {"ipv4": "10.8.0.0/24", "colour": "blue"}}, {})
    find(errors, "network 'wg0'", "wireguard_networks.wg0.colour", "unknown setting")
    assert len(errors) == 1


def test_transfer_net_not_31_or_30(errors_of):
    errors = errors_of({"t": {"ipv4": "10.0.0.0/29", "type": "site_to_site"}}, {})
    find(errors, "network 't'", "wireguard_networks.t.ipv4", "/31 or /30")
    assert len(errors) == 1


# --- membership ----------------------------------------------------------------------------------

def test_unknown_network_in_roles(errors_of, star, host):
    errors = errors_of(NET, {**star, "box": host(roles={"wg9": "client"})})
    find(errors, "host 'box'", "wireguard_roles", "unknown network 'wg9'")
    assert len(errors) == 1


def test_host_in_two_role_groups(errors_of, star, host):
    errors = errors_of(NET, {**star, "box": host(["wireguard_hubs", "wireguard_clients"])})
    find(errors, "host 'box'", "groups", "several role groups")
    assert len(errors) == 1


# --- addresses -----------------------------------------------------------------------------------

def test_address_outside_network(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(address="10.9.0.5")})
    find(errors, "host 'laptop'", "wireguard_address", "outside network 'wg0'")
    assert len(errors) == 1


def test_duplicate_explicit_address(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(address="10.8.0.5"), "phone": client(address="10.8.0.5")})
    error = find(errors, "host 'phone'", "wireguard_address", "already the address of host 'laptop'")
    assert "10.8.0.5" in error.message
    assert len(errors) == 1


def test_pool_exhausted(errors_of, star, client):
    # /30: two usable addresses, three members.
    errors = errors_of({"wg0": {"ipv4": "10.8.0.0/30", "port": 51820}},
                       {**star, "laptop": client(), "phone": client()})
    assert len(errors) == 1
    assert errors[0].variable == "wireguard_address"
    assert errors[0].where in ("host 'laptop'", "host 'phone'")
    assert "no free IPv4 address left in the pool of network 'wg0'" in str(errors[0])


def test_overlapping_networks(errors_of):
    errors = errors_of({"a": {"ipv4": "10.8.0.0/16"}, "b": {"ipv4": "10.8.1.0/24"}}, {})
    find(errors, "network 'b'", "wireguard_networks.b", "overlaps 10.8.0.0/16 of network 'a'")
    assert len(errors) == 1


# --- LANs ----------------------------------------------------------------------------------------

def test_overlapping_lans_of_two_gateways(errors_of, star, gateway):
    errors = errors_of(NET, {**star, "office": gateway(lans=["192.168.0.0/16"]),
                             "home": gateway(lans=["192.168.1.0/24"])})
    error = find(errors, "host 'home'", "wireguard_lans", "overlaps LAN 192.168.0.0/16 of host 'office'")
    assert "192.168.1.0/24" in error.message
    assert len(errors) == 1


def test_lan_overlapping_the_vpn(errors_of, star, gateway):
    errors = errors_of(NET, {**star, "office": gateway(lans=["10.8.0.128/25"])})
    find(errors, "host 'office'", "wireguard_lans", "overlaps the VPN 10.8.0.0/24 of network 'wg0'")
    assert len(errors) == 1


def test_gateway_without_lans(errors_of, star, gateway):
    errors = errors_of(NET, {**star, "office": gateway()})
    find(errors, "host 'office'", "wireguard_lans", "a gateway needs the LANs")
    assert len(errors) == 1


def test_client_with_lans(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(lans=["192.168.5.0/24"])})
    find(errors, "host 'laptop'", "wireguard_lans", "a client has no LANs")
    assert len(errors) == 1


# --- who talks to whom ---------------------------------------------------------------------------

def test_hub_without_endpoint(errors_of, hub, client):
    errors = errors_of(NET, {"vps": hub(), "laptop": client(), "phone": client()})
    # The hub is the host to fix, named once however many spokes it has.
    find(errors, "host 'vps'", "wireguard_endpoint", "hub 'vps' of network 'wg0' has no endpoint")
    assert len(errors) == 1


def test_hub_whose_endpoint_is_misspelt_is_told_the_right_name(errors_of, hub, client):
    errors = errors_of(NET, {"vps": hub(endpiont="vps.example.com"), "laptop": client()})
    find(errors, "host 'vps'", "wireguard_endpiont", "did you mean 'wireguard_endpoint'")


def test_mesh_pair_without_endpoint(errors_of, mesh):
    errors = errors_of(NET, {"alpha": mesh(endpoint="alpha.example.com"), "bravo": mesh(), "charlie": mesh()})
    find(errors, "host 'bravo'", "wireguard_endpoint", "neither 'bravo' nor its peer 'charlie'")
    # alpha has an endpoint, so only the bravo--charlie pair is a problem.
    assert pairs(errors) == [("host 'bravo'", "wireguard_endpoint")]


def test_port_clash_on_a_host_with_two_networks(errors_of, hub):
    networks = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820},
                "wg1": {"ipv4": "10.9.0.0/24", "port": 51820}}
    errors = errors_of(networks, {"vps": hub(endpoint="vps.example.com")})
    find(errors, "host 'vps'", "wireguard_port", "networks 'wg0' and 'wg1' both listen on port 51820")
    assert len(errors) == 1


def test_endpoint_without_port(errors_of, hub, client):
    errors = errors_of({"wg0": {"ipv4": "10.8.0.0/24"}}, {"vps": hub(endpoint="vps.example.com"), "laptop": client()})
    find(errors, "host 'vps'", "wireguard_endpoint", "endpoint vps.example.com has no port")


def test_endpoint_without_port_is_the_only_error(errors_of, hub, client):
    errors = errors_of({"wg0": {"ipv4": "10.8.0.0/24"}}, {"vps": hub(endpoint="vps.example.com"), "laptop": client()})
    assert [str(e) for e in errors] == [
        "host 'vps', variable 'wireguard_endpoint': endpoint vps.example.com has no port: "
        "add :PORT, wireguard_port or the network's port"]


def test_full_tunnel_client_whose_hub_has_no_nat(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(full_tunnel=True)})
    find(errors, "host 'laptop'", "wireguard_full_tunnel", "hub 'vps' of network 'wg0' does not set wireguard_nat")
    assert len(errors) == 1


def test_unknown_hub(errors_of, star, client):
    errors = errors_of(NET, {**star, "laptop": client(hub="vpx")})
    find(errors, "host 'laptop'", "wireguard_hub", "unknown hub 'vpx' in network 'wg0'")
    assert len(errors) == 1


def test_unknown_peer(errors_of, mesh):
    errors = errors_of(NET, {"alpha": mesh(endpoint="alpha.example.com", peers=["bravo", "zulu"]),
                             "bravo": mesh(endpoint="bravo.example.com")})
    find(errors, "host 'alpha'", "wireguard_peers", "unknown host 'zulu'")
    assert len(errors) == 1


def test_several_hubs_without_wireguard_hub(errors_of, hub, client):
    errors = errors_of(NET, {"east": hub(endpoint="east.example.com"), "west": hub(endpoint="west.example.com"),
                             "laptop": client(), "phone": client(hub="west")})
    find(errors, "host 'laptop'", "wireguard_hub", "several hubs (east, west)")
    assert len(errors) == 1


def test_nat_on_site_to_site(errors_of, gateway):
    networks = {"s2s": {"ipv4": "10.0.0.0/31", "type": "site_to_site", "port": 51820}}
    errors = errors_of(networks, {
        "berlin": gateway(endpoint="berlin.example.com", lans=["192.168.1.0/24"], nat=True),
        "paris": gateway(endpoint="paris.example.com", lans=["192.168.2.0/24"]),
    })
    find(errors, "host 'berlin'", "wireguard_nat", "never NATed")
    assert len(errors) == 1


# --- reporting -----------------------------------------------------------------------------------

def test_several_errors_reported_together(hub, client, gateway, build):
    from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import TopologyErrors

    # Problems found in the same validation pass (syntax of single values).
    with pytest.raises(TopologyErrors) as info:
        build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "colour": "blue"}}, {
            "vps": hub(endpoint="vps.example.com", port=99999),
            "laptop": client(address="10.8.0.999"),
            "phone": client(public_key="nope", state="gone"),
            "office": gateway(lans=["192.168.1.0/33"]),
        })
    errors = info.value.errors
    assert pairs(errors) == [
        ("host 'laptop'", "wireguard_address"),
        ("host 'office'", "wireguard_lans"),
        ("host 'phone'", "wireguard_state"),
        ("host 'vps'", "wireguard_port"),
        ("network 'wg0'", "wireguard_networks.wg0.colour"),
    ]
    text = str(info.value)
    assert text.startswith("5 problems in the WireGuard topology:")
    assert all(("- %s" % e) in text for e in errors)


def test_several_topology_errors_reported_together(errors_of, hub, client, gateway):
    # Whole-topology checks (addresses, LANs, roles) also collect everything before raising.
    errors = errors_of(NET, {
        "vps": hub(endpoint="vps.example.com"),
        "laptop": client(address="10.8.0.5", lans=["192.168.9.0/24"]),
        "phone": client(address="10.8.0.5"),
        "office": gateway(lans=["10.8.0.0/25"]),
        "shop": gateway(),
    })
    assert pairs(errors) == [
        ("host 'laptop'", "wireguard_lans"),
        ("host 'office'", "wireguard_lans"),
        ("host 'phone'", "wireguard_address"),
        ("host 'shop'", "wireguard_lans"),
    ]


# --- former engine bugs, kept as regression tests ----------------------------------------------------

def test_explicit_addresses_outside_the_pool_do_not_exhaust_it(build, hub, client):
    networks = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "pool": "10.8.0.100-10.8.0.101"}}
    fleet = build(networks, {"vps": hub(endpoint="vps.example.com", address="10.8.0.1"),
                             "laptop": client(address="10.8.0.2"), "phone": client()})
    assert fleet["hosts"]["phone"]["interfaces"]["wg0"]["addresses"][0] in ("10.8.0.100/24", "10.8.0.101/24")


def test_automatic_ipv6_avoids_explicit_ipv6(build, hub, client):
    networks = {"wg0": {"ipv4": "10.8.0.0/24", "ipv6": "fd00:8::/64", "port": 51820}}
    fleet = build(networks, {"vps": hub(endpoint="vps.example.com"), "laptop": client(address6="fd00:8::1")})
    vps = fleet["hosts"]["vps"]["interfaces"]["wg0"]["addresses"]
    assert "fd00:8::1/64" not in vps


def test_full_tunnel_on_a_gateway_without_hub_is_rejected(errors_of, gateway):
    errors = errors_of(NET, {"berlin": gateway(endpoint="berlin.example.com", lans=["192.168.1.0/24"], full_tunnel=True),
                             "paris": gateway(endpoint="paris.example.com", lans=["192.168.2.0/24"])})
    find(errors, "host 'berlin'", "wireguard_full_tunnel")


def test_explicit_address_never_takes_a_lease_silently(build, hub, client):
    from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import TopologyErrors

    leases = {"wg0": {"vps": {"ipv4": "10.8.0.1"}}}
    try:
        fleet = build(NET, {"vps": hub(endpoint="vps.example.com"), "laptop": client(address="10.8.0.1")}, None, leases)
    except TopologyErrors as exc:
        find(exc.errors, "host 'laptop'", "wireguard_address", "10.8.0.1")
        return
    assert fleet["hosts"]["vps"]["interfaces"]["wg0"]["addresses"] == ["10.8.0.1/24"]
