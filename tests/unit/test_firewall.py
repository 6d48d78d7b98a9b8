# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/firewall.py plan(): the abstract rules both backends render, from `system` needs
as docs/engine.md describes them (and as the engine computes them)."""

from __future__ import annotations

import pytest

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import plan

FIELDS = ("chain", "verdict", "iif", "not_iif", "oif", "family", "saddr", "daddr", "proto", "dport", "ct")


def view(rule):
    """The rule as a dict of the fields it sets (comments left out)."""
    return {name: getattr(rule, name) for name in FIELDS if getattr(rule, name) is not None}


def views(system, **options):
    return [view(rule) for rule in plan(system, **options)]


def test_no_needs_no_rules():
    assert plan(None) == []
    assert plan({}) == []
    assert plan({"listen": [], "forwarding": [], "nat": [], "protect_ipv6": []}) == []


def test_listen_port_open_to_anyone_when_sources_are_null():
    assert views({"listen": [{"interface": "wg0", "port": 51820, "sources": None}]}) == [
        {"chain": "input", "verdict": "accept", "proto": "udp", "dport": 51820},
    ]


def test_listen_port_restricted_to_sources_then_closed_to_everyone_else():
    system = {"listen": [{"interface": "s2s", "port": "51821",
                          "sources": ["alpha.example.org", "198.51.100.7", "2001:db8::7", "gone.example.org"]}]}
    resolved = {"alpha.example.org": ["203.0.113.5", "2001:db8::5", "198.51.100.7"]}
    assert views(system, resolved=resolved) == [
        # one accept per distinct address, IPv4 before IPv6; a name that did not resolve opens nothing
        {"chain": "input", "verdict": "accept", "family": 4, "saddr": "198.51.100.7", "proto": "udp", "dport": 51821},
        {"chain": "input", "verdict": "accept", "family": 4, "saddr": "203.0.113.5", "proto": "udp", "dport": 51821},
        {"chain": "input", "verdict": "accept", "family": 6, "saddr": "2001:db8::5", "proto": "udp", "dport": 51821},
        {"chain": "input", "verdict": "accept", "family": 6, "saddr": "2001:db8::7", "proto": "udp", "dport": 51821},
        {"chain": "input", "verdict": "drop", "proto": "udp", "dport": 51821},
    ]


def test_listen_port_with_no_known_source_is_closed():
    assert views({"listen": [{"interface": "s2s", "port": 51821, "sources": []}]}) == [
        {"chain": "input", "verdict": "drop", "proto": "udp", "dport": 51821},
    ]


def test_forwarding_between_peers_to_lans_and_to_the_uplink():
    system = {"forwarding": [{"interface": "wg0", "between_peers": True, "lans": ["fd00:1::/64", "192.168.1.0/24"],
                              "to_uplink": True}]}
    assert views(system) == [
        {"chain": "forward", "verdict": "accept", "iif": "wg0", "oif": "wg0"},
        {"chain": "forward", "verdict": "accept", "iif": "wg0", "family": 4, "daddr": "192.168.1.0/24"},
        {"chain": "forward", "verdict": "accept", "oif": "wg0", "family": 4, "saddr": "192.168.1.0/24"},
        {"chain": "forward", "verdict": "accept", "iif": "wg0", "family": 6, "daddr": "fd00:1::/64"},
        {"chain": "forward", "verdict": "accept", "oif": "wg0", "family": 6, "saddr": "fd00:1::/64"},
        {"chain": "forward", "verdict": "accept", "iif": "wg0"},
        {"chain": "forward", "verdict": "accept", "oif": "wg0", "ct": "established,related"},
        # strict: replies pass, anything else the topology does not route is dropped, last
        {"chain": "forward", "verdict": "accept", "iif": "wg0", "ct": "established,related"},
        {"chain": "forward", "verdict": "drop", "iif": "wg0"},
    ]


def test_forwarding_not_strict_adds_no_catch_all():
    system = {"forwarding": [{"interface": "wg0", "between_peers": True, "lans": [], "to_uplink": False}]}
    assert views(system, strict=False) == [{"chain": "forward", "verdict": "accept", "iif": "wg0", "oif": "wg0"}]


def test_a_client_without_forwarding_forwards_nothing():
    system = {"forwarding": [{"interface": "wg0", "between_peers": False, "lans": [], "to_uplink": False}]}
    assert [rule["verdict"] for rule in views(system)] == ["accept", "drop"]
    assert all(rule.get("iif") == "wg0" for rule in views(system))


def test_nat_uses_the_given_uplink_or_the_default_route_interface():
    system = {"nat": [{"interface": "wg0", "source": "10.8.0.0/24", "out_interface": "ens3"},
                      {"interface": "wg1", "source": "10.9.0.0/24", "out_interface": None},
                      {"interface": "wg1", "source": "fd00:9::/64", "out_interface": None}]}
    assert views(system, default_interface="eth0", default_interface6="eth6") == [
        {"chain": "postrouting", "verdict": "masquerade", "oif": "ens3", "family": 4, "saddr": "10.8.0.0/24"},
        {"chain": "postrouting", "verdict": "masquerade", "oif": "eth0", "family": 4, "saddr": "10.9.0.0/24"},
        {"chain": "postrouting", "verdict": "masquerade", "oif": "eth6", "family": 6, "saddr": "fd00:9::/64"},
    ]
    # Without an IPv6 default route interface the IPv4 one serves.
    assert views(system, default_interface="eth0")[2]["oif"] == "eth0"


def test_nat_without_any_uplink_is_an_error():
    with pytest.raises(ValueError, match="no out_interface for NAT of 10.8.0.0/24"):
        plan({"nat": [{"interface": "wg0", "source": "10.8.0.0/24", "out_interface": None}]})


@pytest.mark.parametrize("uplink, from_outside", [("ens3", {"iif": "ens3"}), (None, {"not_iif": "wg0"})])
def test_protect_ipv6_lets_replies_icmp_and_own_traffic_through_and_rejects_new_connections(uplink, from_outside):
    prefix = "2001:db8:1:2:100::/72"
    system = {"protect_ipv6": [{"interface": "wg0", "prefix": prefix, "uplink": uplink}]}
    assert views(system) == [
        {"chain": "forward", "verdict": "accept", "oif": "wg0", "family": 6, "daddr": prefix, "ct": "established,related"},
        {"chain": "forward", "verdict": "accept", "oif": "wg0", "family": 6, "daddr": prefix, "proto": "icmpv6"},
        {"chain": "forward", "verdict": "accept", "iif": "wg0", "family": 6, "saddr": prefix},
        dict({"chain": "forward", "verdict": "reject", "oif": "wg0", "family": 6, "daddr": prefix, "ct": "new"}, **from_outside),
    ]


def test_protection_comes_before_forwarding_so_exit_traffic_cannot_open_the_prefix():
    system = {
        "forwarding": [{"interface": "wg0", "between_peers": True, "lans": [], "to_uplink": True}],
        "protect_ipv6": [{"interface": "wg0", "prefix": "2001:db8::/64", "uplink": "ens3"}],
    }
    verdicts = [(rule.verdict, rule.comment) for rule in plan(system)]
    reject = verdicts.index(("reject", "wg0: protect public IPv6 2001:db8::/64"))
    first_forward = verdicts.index(("accept", "wg0: between peers"))
    assert reject < first_forward


def test_engine_output_of_an_exit_hub(build, hub, client, wg_key):
    fleet = build({"wg0": {"ipv4": "10.8.0.0/24", "ipv6": "2001:db8:1:2:100::/72", "port": 51820}},
                  {"vps": hub(endpoint="vps.example.com", nat=True, uplink_interface="ens3"),
                   "laptop": client(public_key=wg_key("laptop"))})
    rules = views(fleet["hosts"]["vps"]["system"])
    assert {"chain": "input", "verdict": "accept", "proto": "udp", "dport": 51820} in rules
    assert {"chain": "forward", "verdict": "accept", "iif": "wg0", "oif": "wg0"} in rules
    assert {"chain": "postrouting", "verdict": "masquerade", "oif": "ens3", "family": 4, "saddr": "10.8.0.0/24"} in rules
    assert {"chain": "forward", "verdict": "reject", "iif": "ens3", "oif": "wg0", "family": 6,
            "daddr": "2001:db8:1:2:100::/72", "ct": "new"} in rules
    # The public IPv6 prefix is protected, not NATed.
    assert [rule for rule in rules if rule["verdict"] == "masquerade" and rule["family"] == 6] == []
    # The client needs no rules at all.
    assert plan(fleet["hosts"]["laptop"]["system"]) == []
