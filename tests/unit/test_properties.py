# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of build_fleet over random, valid fleets (stars, meshes, gateways with LANs).

(a) no two peers of one interface carry overlapping AllowedIPs;
(b) with the leases of an earlier run fed back, adding or removing hosts renumbers nobody;
(c) peers are symmetric (same preshared_key_id on both ends, the right public keys);
(d) addresses are unique within a network.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st
from netaddr import IPNetwork

PORT = 51820
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Non-overlapping LANs: every LAN lives in its own /20 of 172.16.0.0/12 (or its own /56 of fd10::/40),
# with a random prefix length inside that block.
V4_BLOCKS = 256
V6_BLOCKS = 64


def _v4_lan(block, prefix):
    return "%s/%d" % (IPNetwork("172.16.0.0/20").next(block).ip, prefix)


def _v6_lan(block, prefix):
    base = IPNetwork("fd10::/56").next(block)
    return "%s/%d" % (base.ip, prefix)


@st.composite
def lans_strategy(draw, blocks, count_range):
    """A list of LANs drawn from `blocks` (shared lists of unused block numbers, consumed from the end)."""
    count = draw(st.integers(*count_range))
    result = []
    for _index in range(count):
        if draw(st.integers(0, 4)) == 0:
            block = blocks["v6"].pop()
            result.append(_v6_lan(block, draw(st.sampled_from([56, 60, 64]))))
        else:
            block = blocks["v4"].pop()
            result.append(_v4_lan(block, draw(st.integers(20, 30))))
    return result


def _spec(role, **variables):
    groups = {"hub": "wireguard_hubs", "gateway": "wireguard_gateways",
              "client": "wireguard_clients", "mesh": "wireguard_mesh"}[role]
    return {"groups": [groups], "vars": {"wireguard_" + k: v for k, v in variables.items() if v is not None}}


@st.composite
def fleets(draw):
    """(networks, hosts, removable): a valid one-network fleet; `removable` hosts may come and go."""
    network = {"ipv4": draw(st.sampled_from(["10.8.0.0/24", "10.8.0.0/25", "10.8.0.0/22"])), "port": PORT}
    if draw(st.booleans()):
        network["ipv6"] = "fd00:8::/64"
    network["preshared_keys"] = draw(st.booleans())
    networks = {"wg0": network}
    # Consecutive blocks from a random start: distinct, and often adjacent (the edge case of overlap checks).
    start4, start6 = draw(st.integers(0, V4_BLOCKS - 1)), draw(st.integers(0, V6_BLOCKS - 1))
    blocks = {"v4": [(start4 + i) % V4_BLOCKS for i in range(V4_BLOCKS)],
              "v6": [(start6 + i) % V6_BLOCKS for i in range(V6_BLOCKS)]}
    hosts = {}
    removable = []
    shape = draw(st.sampled_from(["star", "mesh"]))
    if shape == "star":
        hub_names = ["hub%d" % i for i in range(draw(st.integers(1, 3)))]
        nat = {}
        for name in hub_names:
            nat[name] = draw(st.booleans())
            hosts[name] = _spec("hub", endpoint="%s.example.com" % name, nat=nat[name] or None)
        for i in range(draw(st.integers(0, 3))):
            name = "core%d" % i
            hosts[name] = _spec("mesh", endpoint="%s.example.com" % name,
                                lans=draw(lans_strategy(blocks, (0, 2))) or None)
            removable.append(name)
        for i in range(draw(st.integers(0, 5))):
            name = "gw%d" % i
            hub = draw(st.sampled_from(hub_names))
            hosts[name] = _spec("gateway", hub=hub, lans=draw(lans_strategy(blocks, (1, 3))),
                                endpoint=draw(st.sampled_from([None, "%s.example.com" % name])))
            removable.append(name)
        for i in range(draw(st.integers(0, 25))):
            name = "client%02d" % i
            hub = draw(st.sampled_from(hub_names))
            full = nat[hub] and draw(st.booleans())
            hosts[name] = _spec("client", hub=hub, full_tunnel=full or None)
            removable.append(name)
    else:
        members = ["mesh%d" % i for i in range(draw(st.integers(2, 6)))]
        members += ["gw%d" % i for i in range(draw(st.integers(0, 4)))]
        # At most one backbone member without an endpoint, so every pair can start its tunnel.
        roaming = draw(st.sampled_from([None] + members))
        restrict = draw(st.booleans())
        for name in members:
            role = "mesh" if name.startswith("mesh") else "gateway"
            lans = draw(lans_strategy(blocks, (1, 2) if role == "gateway" else (0, 2)))
            peers = None
            if restrict and draw(st.booleans()):
                peers = sorted(draw(st.sets(st.sampled_from(members))) - {name})
            hosts[name] = _spec(role, endpoint=None if name == roaming else "%s.example.com" % name,
                                lans=lans or None, peers=peers)
        removable = list(members)
    return networks, hosts, removable


def _keys(draw_keys, hosts, wg_key):
    """Public keys: some hosts in the store, some in wireguard_public_key, the rest unknown."""
    store = {}
    for name, where in zip(sorted(hosts), draw_keys, strict=False):
        if where == "store":
            store[name] = {"wg0": wg_key(name)}
        elif where == "var":
            hosts[name]["vars"]["wireguard_public_key"] = wg_key(name)
    return store


def _subset(hosts, keep):
    """The fleet restricted to `keep`, with wireguard_peers lists pruned to hosts still there."""
    result = {}
    for name in keep:
        spec = {"groups": list(hosts[name]["groups"]), "vars": dict(hosts[name]["vars"])}
        if "wireguard_peers" in spec["vars"]:
            spec["vars"]["wireguard_peers"] = [p for p in spec["vars"]["wireguard_peers"] if p in keep]
        result[name] = spec
    return result


def _addresses(fleet):
    """{host: [addresses of wg0 without prefix]}."""
    return {name: [a.split("/")[0] for a in entry["interfaces"]["wg0"]["addresses"]]
            for name, entry in fleet["hosts"].items()}


# (a) ---------------------------------------------------------------------------------------------

@SETTINGS
@given(fleets())
def test_no_two_peers_of_an_interface_carry_overlapping_allowed_ips(build, case):
    networks, hosts = case[:2]
    fleet = build(networks, hosts)
    assert set(fleet["hosts"]) == set(hosts)
    for name, entry in fleet["hosts"].items():
        for iface, config in entry["interfaces"].items():
            owned = [(IPNetwork(cidr), peer["name"]) for peer in config["peers"] for cidr in peer["allowed_ips"]]
            for i, (first, first_peer) in enumerate(owned):
                for second, second_peer in owned[i + 1:]:
                    if first_peer == second_peer or first.version != second.version:
                        continue
                    assert first.last < second.first or second.last < first.first, (
                        "%s %s: %s (%s) overlaps %s (%s)" % (name, iface, first, first_peer, second, second_peer))


# (b) ---------------------------------------------------------------------------------------------

@SETTINGS
@given(fleets(), st.data())
def test_adding_hosts_renumbers_nobody(build, case, data):
    networks, hosts, removable = case
    added = data.draw(st.sets(st.sampled_from(removable)) if removable else st.just(set()), label="added")
    before = build(networks, _subset(hosts, [h for h in hosts if h not in added]))
    after = build(networks, hosts, None, before["leases"])
    old, new = _addresses(before), _addresses(after)
    for name, addresses in old.items():
        assert new[name] == addresses, name
        assert after["leases"]["wg0"][name] == before["leases"]["wg0"][name]


@SETTINGS
@given(fleets(), st.data())
def test_removing_hosts_renumbers_nobody(build, case, data):
    networks, hosts, removable = case
    removed = data.draw(st.sets(st.sampled_from(removable)) if removable else st.just(set()), label="removed")
    before = build(networks, hosts)
    after = build(networks, _subset(hosts, [h for h in hosts if h not in removed]), None, before["leases"])
    old, new = _addresses(before), _addresses(after)
    assert set(new) == set(hosts) - removed
    for name, addresses in new.items():
        assert addresses == old[name], name


@SETTINGS
@given(fleets(), st.data())
def test_leases_survive_remove_then_add_again(build, case, data):
    """A host that leaves and comes back (its lease kept in the store) gets its old address back."""
    networks, hosts, removable = case
    gone = data.draw(st.sets(st.sampled_from(removable)) if removable else st.just(set()), label="gone")
    first = build(networks, hosts)
    second = build(networks, _subset(hosts, [h for h in hosts if h not in gone]), None, first["leases"])
    store = {"wg0": dict(first["leases"]["wg0"], **second["leases"].get("wg0", {}))}
    third = build(networks, hosts, None, store)
    assert _addresses(third) == _addresses(first)


# (c) ---------------------------------------------------------------------------------------------

@SETTINGS
@given(fleets(), st.data())
def test_peers_are_symmetric(build, wg_key, case, data):
    networks, hosts = case[:2]
    where = data.draw(st.lists(st.sampled_from(["store", "var", None]), min_size=len(hosts), max_size=len(hosts)))
    store = _keys(where, hosts, wg_key)
    fleet = build(networks, hosts, store)
    psk = networks["wg0"]["preshared_keys"]
    peers = {name: {p["name"]: p for p in entry["interfaces"]["wg0"]["peers"]}
             for name, entry in fleet["hosts"].items()}
    for name, listed in peers.items():
        for other, entry in listed.items():
            assert other != name
            assert name in peers[other], "%s lists %s but not the other way round" % (name, other)
            back = peers[other][name]
            assert entry["preshared_key_id"] == back["preshared_key_id"]
            if psk:
                assert entry["preshared_key_id"] == "wg0/%s" % "--".join(sorted((name, other)))
            else:
                assert entry["preshared_key_id"] is None
            expected_key = wg_key(other) if where[sorted(hosts).index(other)] else None
            assert entry["public_key"] == expected_key == fleet["hosts"][other]["interfaces"]["wg0"]["public_key"]


# (d) ---------------------------------------------------------------------------------------------

@SETTINGS
@given(fleets())
def test_addresses_are_unique_within_a_network(build, case):
    networks, hosts = case[:2]
    fleet = build(networks, hosts)
    network = networks["wg0"]
    seen = {}
    for name, addresses in _addresses(fleet).items():
        assert len(addresses) == (2 if "ipv6" in network else 1)
        for address in addresses:
            assert address not in seen, "%s of %s is also %s's" % (address, name, seen.get(address))
            seen[address] = name
            cidr = IPNetwork(network["ipv6"] if ":" in address else network["ipv4"])
            assert cidr.first < int(IPNetwork(address).ip) < cidr.last or ":" in address
    leased = [v for entry in fleet["leases"]["wg0"].values() for v in entry.values()]
    assert len(leased) == len(set(leased)) == len(seen)
