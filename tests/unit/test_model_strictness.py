# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model boundary refuses whole classes of bad input, each with an error naming host/network and variable.

Classes (issue "No bad input gets through"): control characters in any string field; junk types anywhere;
values a host would reject (endpoints, names, interfaces, keys); routing conflicts across networks; and the
warnings / provisional addresses plan mode reports. Property tests generate many cases per class; the
named-error tests pin the message users see.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import TopologyErrors
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import is_safe_text
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

from conftest import expect_errors, fake_key, make_host
from test_validation import find

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NET = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}}
ENDING = ["\n", "\r", "\x00", "\t", "\x85", "\u2028", "\r\nPostUp = touch /tmp/x"]


def star(**client_vars):
    return {"vps": make_host(["wireguard_hubs"], endpoint="vps.example.com"),
            "laptop": make_host(["wireguard_clients"], **client_vars)}


# Every string field of the model, as (networks, hosts) given the string. The value is valid without the suffix.
def _network_field(key, valid):
    return lambda text: ({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, key: text}}, star())


def _host_field(key, valid, hosts=None):
    return lambda text: (NET, {**star(), **(hosts or {}), "laptop": make_host(["wireguard_clients"], **{key: text})})


STRING_FIELDS = {
    "network name": ("wg0", lambda text: ({text: {"ipv4": "10.8.0.0/24", "port": 51820}}, star())),
    "network interface": ("wg0", _network_field("interface", "wg0")),
    "network ipv4": ("10.8.0.0/24", lambda text: ({"wg0": {"ipv4": text, "port": 51820}}, star())),
    "network ipv6": ("fd00:8::/64", _network_field("ipv6", "fd00:8::/64")),
    "network pool": ("10.8.0.10-10.8.0.20", _network_field("pool", "10.8.0.10-10.8.0.20")),
    "network dns": ("10.8.0.1", _network_field("dns", "10.8.0.1")),
    "network dns search domain": ("home.arpa", _network_field("dns", "home.arpa")),
    "network group": ("vpn", lambda text: ({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "group": text}},
                                           {"vps": make_host(["wireguard_hubs", "vpn"], endpoint="vps.example.com")})),
    "host name": ("laptop", lambda text: (NET, {**star(), text: make_host(["wireguard_clients"])})),
    "address": ("10.8.0.9", _host_field("address", "10.8.0.9")),
    "endpoint": ("laptop.example.com", _host_field("endpoint", "laptop.example.com")),
    "endpoint with port": ("laptop.example.com:51820", _host_field("endpoint", "")),
    "interface": ("home0", _host_field("interface", "home0")),
    "dns": ("10.8.0.1", _host_field("dns", "10.8.0.1")),
    "hub": ("vps", _host_field("hub", "vps")),
    "public key": (fake_key("laptop"), _host_field("public_key", "")),
    "uplink interface": ("eth0", _host_field("uplink_interface", "eth0")),
    "lan interface": ("eth0", _host_field("lan_interface", "eth0")),
    "lans": ("192.168.5.0/24", lambda text: (NET, {**star(), "gw": make_host(["wireguard_gateways"], lans=[text])})),
    "roles network": ("wg0", lambda text: (NET, {**star(), "relay": make_host([], roles={text: "client"})})),
    "roles role": ("client", lambda text: (NET, {**star(), "relay": make_host([], roles={"wg0": text})})),
    "per_network key": ("wg0", lambda text: (NET, {**star(), "laptop": make_host(
        ["wireguard_clients"], per_network={text: {"keepalive": 10}})})),
}


@pytest.mark.parametrize("field", sorted(STRING_FIELDS))
def test_valid_value_of_every_field_is_accepted(field):
    valid, make = STRING_FIELDS[field]
    build_fleet(*make(valid))


@pytest.mark.parametrize("suffix", ENDING, ids=repr)
@pytest.mark.parametrize("field", sorted(STRING_FIELDS))
def test_control_characters_in_every_string_field_are_refused(field, suffix):
    valid, make = STRING_FIELDS[field]
    with pytest.raises(TopologyErrors):
        build_fleet(*make(valid + suffix))


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


@SETTINGS
@given(field=st.sampled_from(sorted(STRING_FIELDS)), text=st.text(max_size=40))
def test_arbitrary_text_never_reaches_the_result_with_control_characters(field, text):
    """Whatever a string field holds, the engine either refuses it or returns only one-line-safe strings."""
    _valid, make = STRING_FIELDS[field]
    try:
        result = build_fleet(*make(text))
    except TopologyErrors:
        return
    assert all(is_safe_text(item) for item in _strings(result))


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3),
    max_leaves=6,
)
HOST_KEYS = ["address", "address6", "endpoint", "port", "interface", "keepalive", "lans", "hub", "full_tunnel", "nat",
             "dns", "peers", "public_key", "mtu", "roles", "state", "managed", "per_network", "uplink_interface",
             "lan_interface", "lan_default_gateway"]
NETWORK_KEYS = ["interface", "type", "ipv4", "ipv6", "pool", "port", "mtu", "dns", "keepalive", "preshared_keys",
                "group", "restrict_port", "protect_ipv6"]


def _only_topology_errors(networks, hosts, public_keys=None, leases=None):
    try:
        build_fleet(networks, hosts, public_keys, leases)
    except TopologyErrors as exc:
        assert exc.errors and all(error.where and error.variable for error in exc.errors)


@SETTINGS
@given(key=st.sampled_from(HOST_KEYS), junk=JUNK)
def test_junk_in_any_host_variable_raises_only_topology_errors(key, junk):
    _only_topology_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], **{key: junk})})


@SETTINGS
@given(key=st.sampled_from(HOST_KEYS), junk=JUNK)
def test_junk_in_any_per_network_setting_raises_only_topology_errors(key, junk):
    _only_topology_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], per_network={"wg0": {key: junk}})})


@SETTINGS
@given(key=st.sampled_from(NETWORK_KEYS), junk=JUNK)
def test_junk_in_any_network_setting_raises_only_topology_errors(key, junk):
    _only_topology_errors({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, key: junk}}, star())


@SETTINGS
@given(networks=JUNK, hosts=st.dictionaries(st.text(max_size=5), JUNK, max_size=3))
def test_junk_shapes_of_the_whole_model_raise_only_topology_errors(networks, hosts):
    _only_topology_errors(networks, hosts)


@SETTINGS
@given(public_keys=JUNK, leases=JUNK)
def test_junk_in_the_store_raises_only_topology_errors(public_keys, leases):
    _only_topology_errors(NET, star(), public_keys, leases)


# --- types before values: the named cases of the issue -----------------------------------------------

def test_networks_as_a_list():
    errors = expect_errors([{"wg0": {"ipv4": "10.8.0.0/24"}}], star())
    find(errors, "the inventory", "wireguard_networks", "non-empty mapping")


def test_network_given_as_a_bare_cidr():
    errors = expect_errors({"wg0": "10.8.0.0/24"}, star())
    find(errors, "network 'wg0'", "wireguard_networks.wg0", "did you mean {ipv4: 10.8.0.0/24}")


def test_roles_value_as_a_list():
    errors = expect_errors(NET, {**star(), "relay": make_host([], roles={"wg0": ["client"]})})
    find(errors, "host 'relay'", "wireguard_roles.wg0", "a list ['client'] is not a role")


def test_per_network_as_a_list():
    errors = expect_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], per_network=[{"port": 1}])})
    find(errors, "host 'laptop'", "wireguard_per_network", "must be a mapping")


def test_per_network_names_an_unknown_network():
    errors = expect_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], per_network={"wg1": {}})})
    find(errors, "host 'laptop'", "wireguard_per_network.wg1", "did you mean 'wg0'")


@pytest.mark.parametrize("text", ["false", "yes", "no", "True", "on"])
def test_ini_style_booleans_are_refused_with_the_fix(text):
    errors = expect_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], full_tunnel=text)})
    find(errors, "host 'laptop'", "wireguard_full_tunnel", "is a string, not true or false")


@pytest.mark.parametrize("lease", [["10.8.0.5"], "10.8.0.5", {"ipv4": 5}, {"ipv4": "10.8.0.500"}, {"ip": "10.8.0.5"}])
def test_hand_edited_lease_of_the_wrong_shape(lease):
    errors = expect_errors(NET, star(), leases={"wg0": {"laptop": lease}})
    assert all(error.where == "the controller store" and "leases.json" in error.variable for error in errors), errors


@pytest.mark.parametrize("number", ["²", "٣", "1e3", "51820 ", "-1", 1.5, True])
def test_numbers_are_plain_digits(number):
    errors = expect_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], keepalive=number)})
    find(errors, "host 'laptop'", "wireguard_keepalive")


# --- values a host would reject ---------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", [
    "300.1.1.1", "10.0.0", "a::b.example.com", "2001:db8::1", "[2001:db8::1]", "[10.0.0.1]:51820",
    "host name.example.com", " vps.example.com", "vps.example.com:", "vps.example.com:0", "vps.example.com:65536",
    "vps.example.com:51820:1", "-vps.example.com", "vps_1.example.com", "vps..example.com", "[2001:db8::1]:x",
    "fe80::1%eth0", "[fe80::1%eth0]:51820", "vps.example.com:٣", "x" * 64 + ".example.com",
])
def test_endpoints_a_host_would_reject(endpoint):
    errors = expect_errors(NET, {"vps": make_host(["wireguard_hubs"], endpoint=endpoint), "laptop": make_host(["wireguard_clients"])})
    find(errors, "host 'vps'", "wireguard_endpoint")


@pytest.mark.parametrize("endpoint, rendered", [
    ("vps.example.com", "vps.example.com:51820"), ("203.0.113.7:443", "203.0.113.7:443"),
    ("[2001:db8::7]:51821", "[2001:db8::7]:51821"), ("vps.example.com.", "vps.example.com.:51820"),
    ("1.example.com", "1.example.com:51820"),
])
def test_endpoints_users_write(endpoint, rendered):
    fleet = build_fleet(NET, {"vps": make_host(["wireguard_hubs"], endpoint=endpoint), "laptop": make_host(["wireguard_clients"])})
    assert fleet["hosts"]["laptop"]["interfaces"]["wg0"]["peers"][0]["endpoint"] == rendered


@pytest.mark.parametrize("interface", [".", "..", "-wg0", "wg/0", "wg 0", "wg0\n", "", "a" * 16, 7])
def test_interface_names_linux_refuses(interface):
    errors = expect_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], interface=interface)})
    find(errors, "host 'laptop'", "wireguard_interface", "not a valid interface name")


@pytest.mark.parametrize("name", ["a--b", "a b", "a/b", "..", ".hidden", "x" * 101, "laptop.", "-laptop", "a..b"])
def test_host_names_that_cannot_be_store_ids(name):
    errors = expect_errors(NET, {**star(), name: make_host(["wireguard_clients"])})
    find(errors, "host '%s'" % name, "inventory_hostname", "cannot be used as a host name")


@pytest.mark.parametrize("name", ["a--b", "a b", "../x", "wg0.", "x" * 101])
def test_network_names_that_cannot_be_store_ids(name):
    errors = expect_errors({name: {"ipv4": "10.8.0.0/24", "interface": "wg0"}}, star())
    find(errors, "network '%s'" % name, "wireguard_networks", "cannot be used as a network name")


def test_key_with_a_non_canonical_last_character():
    key = fake_key("laptop")
    # The last base64 character carries 4 spare bits here: changing them keeps the bytes but wg refuses the text.
    noncanonical = key[:42] + ("B" if key[42] == "A" else chr(ord(key[42]) + 1)) + "="
    errors = expect_errors(NET, {**star(), "laptop": make_host(["wireguard_clients"], public_key=noncanonical)})
    find(errors, "host 'laptop'", "wireguard_public_key", "not a WireGuard key")


# --- clearer errors where the cause is elsewhere ----------------------------------------------------

def test_pool_containing_the_network_address_names_the_pool():
    errors = expect_errors({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "pool": "10.8.0.0-10.8.0.20"}}, star())
    find(errors, "network 'wg0'", "wireguard_networks.wg0.pool", "network address 10.8.0.0")


def test_pool_containing_the_broadcast_address_names_the_pool():
    errors = expect_errors({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "pool": "10.8.0.200-10.8.0.255"}}, star())
    find(errors, "network 'wg0'", "wireguard_networks.wg0.pool", "broadcast address 10.8.0.255")


def test_host_in_hubs_and_mesh_is_told_hubs_already_mesh():
    errors = expect_errors(NET, {**star(), "db": make_host(["wireguard_hubs", "wireguard_mesh"], endpoint="db.example.com")})
    find(errors, "host 'db'", "groups", "hubs already mesh")


def test_hub_naming_a_mesh_member_says_so():
    hosts = {**star(), "db": make_host(["wireguard_mesh"], endpoint="db.example.com"),
             "laptop": make_host(["wireguard_clients"], hub="db")}
    errors = expect_errors(NET, hosts)
    find(errors, "host 'laptop'", "wireguard_hub", "'db' is a mesh of network 'wg0', not a hub")


# --- routing conflicts across networks --------------------------------------------------------------

TWO = {"home": {"ipv4": "10.8.0.0/24", "port": 51820, "group": "home"},
       "work": {"ipv4": "10.9.0.0/24", "port": 51821, "interface": "work0", "group": "work"}}


def _two_networks(home_lans, work_lans):
    return {
        "hub": make_host(["wireguard_hubs", "home", "work"], endpoint="hub.example.com"),
        "nas": make_host(["wireguard_gateways", "home"], lans=home_lans),
        "office": make_host(["wireguard_gateways", "work"], lans=work_lans),
    }


def test_two_networks_routing_the_same_lan_into_one_host():
    errors = expect_errors(TWO, _two_networks(["192.168.1.0/24"], ["192.168.1.0/25"]))
    find(errors, "host 'hub'", "wireguard_lans", "two networks would route the same addresses into this host")


def test_distinct_lans_of_two_networks_are_fine():
    build_fleet(TWO, _two_networks(["192.168.1.0/24"], ["192.168.2.0/24"]))


def test_lan_equal_to_another_networks_vpn():
    errors = expect_errors(TWO, _two_networks(["10.9.0.0/24"], ["192.168.2.0/24"]))
    find(errors, "host 'nas'", "wireguard_lans", "overlaps the VPN 10.9.0.0/24 of network 'work'")


@pytest.mark.parametrize("lan", ["0.0.0.0/0", "::/0"])
def test_lan_of_everything_is_a_full_tunnel(lan):
    errors = expect_errors({"wg0": {"ipv4": "10.8.0.0/24", "ipv6": "fd00:8::/64", "port": 51820}},
                           {**star(), "gw": make_host(["wireguard_gateways"], lans=[lan])})
    find(errors, "host 'gw'", "wireguard_lans", "that is a full tunnel")


def test_full_tunnel_beside_a_split_tunnel_is_not_a_conflict():
    networks = {"exit": {"ipv4": "10.8.0.0/24", "port": 51820, "group": "exit"},
                "lab": {"ipv4": "10.9.0.0/24", "port": 51821, "interface": "lab0", "group": "lab"}}
    hosts = {"vps": make_host(["wireguard_hubs", "exit"], endpoint="vps.example.com", nat=True),
             "labhub": make_host(["wireguard_hubs", "lab"], endpoint="lab.example.com"),
             "laptop": make_host(["wireguard_clients", "exit", "lab"], per_network={"exit": {"full_tunnel": True}})}
    build_fleet(networks, hosts)


# --- warnings and provisional addresses -------------------------------------------------------------

def test_network_without_members_is_a_warning():
    fleet = build_fleet({**NET, "spare": {"ipv4": "10.9.0.0/24", "interface": "spare0", "group": "nobody"}}, star())
    assert any("network 'spare' has no members" in w and "'nobody'" in w for w in fleet["warnings"]), fleet["warnings"]


def test_host_setting_wirefleet_variables_but_joining_nothing_is_a_warning():
    fleet = build_fleet(NET, {**star(), "nas": make_host(["storage"], lans=["192.168.1.0/24"])})
    assert any(w.startswith("host 'nas' sets wirefleet variables (wireguard_lans)") for w in fleet["warnings"])


def test_host_setting_wirefleet_variables_in_a_misspelt_role_group_is_an_error():
    errors = expect_errors(NET, {**star(), "nas": make_host(["wireguard_gateway"], lans=["192.168.1.0/24"])})
    find(errors, "host 'nas'", "groups", "did you mean 'wireguard_gateways'")


def test_client_outside_its_networks_group_is_a_warning():
    networks = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "group": "vpn"}}
    hosts = {"vps": make_host(["wireguard_hubs", "vpn"], endpoint="vps.example.com"), "laptop": make_host(["wireguard_clients"])}
    fleet = build_fleet(networks, hosts)
    assert fleet["warnings"] == ["host 'laptop' is in wireguard_clients but joins no network: "
                                 "network 'wg0' takes only members of group 'vpn'"]


def test_addresses_without_leases_are_provisional_and_fixed_once_leased():
    hosts = {**star(), "phone": make_host(["wireguard_clients"], address="10.8.0.50")}
    first = build_fleet(NET, hosts)
    assert first["provisional"] == {"laptop": ["wg0"], "vps": ["wg0"]}
    again = build_fleet(NET, hosts, leases=first["leases"])
    assert again["provisional"] == {}
    assert again["leases"] == first["leases"]


def test_ipv6_only_addresses_are_provisional_too():
    fleet = build_fleet({"wg0": {"ipv6": "fd00:8::/64", "port": 51820}}, star())
    assert fleet["provisional"] == {"laptop": ["wg0"], "vps": ["wg0"]}


def test_the_same_typo_on_many_hosts_is_one_error():
    hosts = {**star(), **{"pc%d" % n: make_host(["wireguard_clients"], adress="10.8.0.9") for n in range(5)}}
    errors = expect_errors(NET, hosts)
    assert [(e.where, e.variable) for e in errors] == [("hosts 'pc0', 'pc1', 'pc2' and 2 more", "wireguard_adress")]
    assert "did you mean 'wireguard_address'" in errors[0].message


def test_long_network_name_without_interface_is_one_error_on_the_network():
    errors = expect_errors({"office-network-2024": {"ipv4": "10.8.0.0/24", "port": 51820}}, star())
    assert [(e.where, e.variable) for e in errors] == [
        ("network 'office-network-2024'", "wireguard_networks.office-network-2024.interface")]
    assert "set interface" in errors[0].message


@pytest.mark.parametrize("hosts", [None, [], "vps", {"vps": {"groups": "wireguard_hubs", "vars": ["x"]}}])
def test_hosts_of_the_wrong_shape(hosts):
    _only_topology_errors(NET, hosts)


def test_the_same_warning_on_many_hosts_is_one_line():
    hosts = {**star(), **{"db%d" % n: make_host(["databases"], mtu=1380) for n in range(6)}}
    warnings = build_fleet(NET, hosts)["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("hosts 'db0', 'db1', 'db2' and 3 more set wirefleet"), warnings
