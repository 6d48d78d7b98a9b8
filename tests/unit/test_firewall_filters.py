# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables_ruleset and iptables_rules filters on `system` entries the engine computes.

Checks the rules a user relies on (listen port, forwarding, masquerade, IPv6 protection) in the
rendered text, and, where the tools are installed and usable, that nft / iptables-restore accept it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.iptables_rules import FilterModule as IptablesFilters
from ansible_collections.wirefleet.wireguard.plugins.filter.iptables_rules import iptables_rules
from ansible_collections.wirefleet.wireguard.plugins.filter.nftables_ruleset import FilterModule as NftablesFilters
from ansible_collections.wirefleet.wireguard.plugins.filter.nftables_ruleset import nftables_ruleset

PREFIX6 = "2001:db8:1:2:100::/72"
ROLE_LOADER = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "wireguard_firewall", "templates", "wirefleet-iptables.j2")


@pytest.fixture(scope="module")
def systems(build, hub, client, gateway, wg_key):
    """`system` of every host of a road-warrior network (exit hub, public IPv6) and a site-to-site link."""
    networks = {
        "wg0": {"ipv4": "10.8.0.0/24", "ipv6": PREFIX6, "port": 51820, "group": "road"},
        "s2s": {"ipv4": "10.9.0.0/31", "type": "site_to_site", "port": 51821, "restrict_port": True, "group": "sites"},
    }
    hosts = {
        "vps": hub("road", endpoint="vps.example.com", nat=True, uplink_interface="ens3"),
        "laptop": client("road", public_key=wg_key("laptop")),
        "alpha": gateway("sites", endpoint="alpha.example.org", lans=["10.10.10.0/24"]),
        "beta": gateway("sites", endpoint="198.51.100.7", lans=["10.10.11.0/24"]),
    }
    return {name: data["system"] for name, data in build(networks, hosts)["hosts"].items()}


def nft_chains(text):
    """{chain: [rule without counter and comment]} of a rendered nftables file."""
    chains, current = {}, None
    for line in text.splitlines():
        match = re.match(r"^\tchain (\w+) \{$", line)
        if match:
            current = chains.setdefault(match.group(1), [])
        elif line == "\t}":
            current = None
        elif current is not None and line.startswith("\t\t") and not line.startswith("\t\ttype "):
            current.append(re.sub(r" comment \".*\"$", "", line.strip()).replace(" counter", ""))
    return chains


def ipt_rules(text):
    """[(table, rule without comment)] of rendered iptables-restore input."""
    rules, table = [], None
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith("-A "):
            rules.append((table, re.sub(r' -m comment --comment ".*?"', "", line)))
    return rules


def test_filters_are_registered_under_their_names():
    assert IptablesFilters().filters() == {"iptables_rules": iptables_rules}
    assert NftablesFilters().filters() == {"nftables_ruleset": nftables_ruleset}


# nftables


def test_nft_file_replaces_only_its_own_table(systems):
    text = nftables_ruleset(systems["vps"])
    lines = text.splitlines()
    # Declaring before deleting makes the delete succeed on the first run too.
    assert lines[:2] == ["#!/usr/sbin/nft -f", "# Managed by wirefleet.wireguard (firewall role); local edits are overwritten."]
    assert lines[3:7] == ["table inet wirefleet", "delete table inet wirefleet", "", "table inet wirefleet {"]
    assert re.findall(r"^(?:table|delete|flush)\b.*$", text, re.M) == [
        "table inet wirefleet", "delete table inet wirefleet", "table inet wirefleet {"]
    assert "\t\ttype filter hook input priority filter; policy accept;" in lines
    assert "\t\ttype filter hook forward priority filter; policy accept;" in lines
    assert "\t\ttype nat hook postrouting priority srcnat; policy accept;" in lines


def test_nft_exit_hub(systems):
    chains = nft_chains(nftables_ruleset(systems["vps"]))
    assert chains["input"] == ["udp dport 51820 accept"]
    assert chains["postrouting"] == ['oifname "ens3" ip saddr 10.8.0.0/24 masquerade']
    assert chains["forward"] == [
        'oifname "wg0" ip6 daddr %s ct state established,related accept' % PREFIX6,
        'oifname "wg0" ip6 daddr %s meta l4proto ipv6-icmp accept' % PREFIX6,
        'iifname "wg0" ip6 saddr %s accept' % PREFIX6,
        'iifname "ens3" oifname "wg0" ip6 daddr %s ct state new reject with icmpv6 type port-unreachable' % PREFIX6,
        'iifname "wg0" oifname "wg0" accept',
        'iifname "wg0" accept',
        'oifname "wg0" ct state established,related accept',
        'iifname "wg0" ct state established,related accept',
        'iifname "wg0" drop',
    ]


def test_nft_site_gateway_port_restricted_to_the_other_site(systems):
    alpha = nft_chains(nftables_ruleset(systems["alpha"]))
    assert alpha["input"] == ["ip saddr 198.51.100.7 udp dport 51821 accept", "udp dport 51821 drop"]
    assert alpha["forward"] == [
        'iifname "s2s" ip daddr 10.10.10.0/24 accept',
        'oifname "s2s" ip saddr 10.10.10.0/24 accept',
        'iifname "s2s" ct state established,related accept',
        'iifname "s2s" drop',
    ]
    assert "postrouting" not in alpha  # routed between sites, never NATed
    # beta knows alpha by name: its addresses come from `resolved`.
    beta = nft_chains(nftables_ruleset(systems["beta"], resolved={"alpha.example.org": ["203.0.113.9", "2001:db8::9"]}))
    assert beta["input"] == ["ip saddr 203.0.113.9 udp dport 51821 accept",
                             "ip6 saddr 2001:db8::9 udp dport 51821 accept",
                             "udp dport 51821 drop"]


def test_nft_nat_falls_back_to_the_default_route_interface(systems):
    system = dict(systems["vps"], nat=[dict(systems["vps"]["nat"][0], out_interface=None)])
    assert nft_chains(nftables_ruleset(system, default_interface="eth0"))["postrouting"] == [
        'oifname "eth0" ip saddr 10.8.0.0/24 masquerade']
    with pytest.raises(AnsibleFilterError, match="nftables_ruleset: no out_interface for NAT of 10.8.0.0/24"):
        nftables_ruleset(system)


def test_nft_without_needs_is_empty(systems):
    assert nftables_ruleset(systems["laptop"]) == ""
    assert nftables_ruleset({}) == ""


def test_nft_rejects_malformed_input():
    with pytest.raises(AnsibleFilterError, match="^nftables_ruleset: "):
        nftables_ruleset({"listen": [{"port": 51820, "sources": None}]})


def _nft_check(path):
    return subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def nft_usable(tmp_path_factory):
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed: cannot check that the rendered ruleset parses")
    probe = tmp_path_factory.mktemp("nft") / "probe.nft"
    probe.write_text("table inet wirefleet_probe {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n")
    result = _nft_check(probe)
    if result.returncode != 0:
        pytest.skip("nft -c cannot check rulesets here (no netlink/privileges?): %s" % result.stderr.strip())


@pytest.mark.parametrize("host", ["vps", "alpha"])
def test_nft_ruleset_parses(systems, host, nft_usable, tmp_path):
    path = tmp_path / "firewall.nft"
    path.write_text(nftables_ruleset(systems[host], strict=True))
    result = _nft_check(path)
    assert result.returncode == 0, result.stderr


def test_nft_check_catches_a_broken_ruleset(nft_usable, tmp_path):
    """The check above can fail: a broken rule is refused."""
    path = tmp_path / "broken.nft"
    path.write_text(nftables_ruleset({"listen": [{"interface": "wg0", "port": 51820, "sources": None}]})
                    .replace("counter accept", "counter acept"))
    assert _nft_check(path).returncode != 0


# iptables


def test_iptables_exit_hub_ipv4(systems):
    text = iptables_rules(systems["vps"], family=4)
    assert ipt_rules(text) == [
        ("filter", "-A WIREFLEET-INPUT -p udp --dport 51820 -j ACCEPT"),
        ("filter", "-A WIREFLEET-FORWARD -i wg0 -o wg0 -j ACCEPT"),
        ("filter", "-A WIREFLEET-FORWARD -i wg0 -o ens3 -j ACCEPT"),  # the exit goes only out of the NAT uplink
        ("filter", "-A WIREFLEET-FORWARD -o wg0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"),
        ("filter", "-A WIREFLEET-FORWARD -i wg0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"),
        ("filter", "-A WIREFLEET-FORWARD -i wg0 -j DROP"),
        ("nat", "-A WIREFLEET-POSTROUTING -o ens3 -s 10.8.0.0/24 -j MASQUERADE"),
    ]


def test_iptables_exit_hub_ipv6_protection(systems):
    rules = ipt_rules(iptables_rules(systems["vps"], family=6))
    assert rules[0] == ("filter", "-A WIREFLEET-INPUT -p udp --dport 51820 -j ACCEPT")
    assert rules[1:5] == [
        ("filter", "-A WIREFLEET-FORWARD -o wg0 -d %s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT" % PREFIX6),
        ("filter", "-A WIREFLEET-FORWARD -o wg0 -d %s -p ipv6-icmp -j ACCEPT" % PREFIX6),
        ("filter", "-A WIREFLEET-FORWARD -i wg0 -s %s -j ACCEPT" % PREFIX6),
        ("filter", "-A WIREFLEET-FORWARD -i ens3 -o wg0 -d %s -m conntrack --ctstate NEW -j REJECT --reject-with icmp6-port-unreachable"
         % PREFIX6),
    ]
    assert [rule for rule in rules if rule[0] == "nat"] == []  # no IPv6 masquerade of a public prefix


def test_iptables_family_splits_restricted_sources(systems):
    resolved = {"alpha.example.org": ["203.0.113.9", "2001:db8::9"]}
    v4 = ipt_rules(iptables_rules(systems["beta"], family=4, resolved=resolved))
    v6 = ipt_rules(iptables_rules(systems["beta"], family=6, resolved=resolved))
    assert [rule for _table, rule in v4 if "WIREFLEET-INPUT" in rule] == [
        "-A WIREFLEET-INPUT -s 203.0.113.9 -p udp --dport 51821 -j ACCEPT",
        "-A WIREFLEET-INPUT -p udp --dport 51821 -j DROP"]
    assert [rule for _table, rule in v6 if "WIREFLEET-INPUT" in rule] == [
        "-A WIREFLEET-INPUT -s 2001:db8::9 -p udp --dport 51821 -j ACCEPT",
        "-A WIREFLEET-INPUT -p udp --dport 51821 -j DROP"]
    assert ("filter", "-A WIREFLEET-FORWARD -i s2s -d 10.10.11.0/24 -j ACCEPT") in v4
    assert ("filter", "-A WIREFLEET-FORWARD -o s2s -s 10.10.11.0/24 -j ACCEPT") in v4
    assert not any("10.10.11.0/24" in rule for _table, rule in v6)


def test_iptables_rules_only_fill_wirefleet_chains_so_they_go_before_a_reject(systems):
    """Appending to INPUT or FORWARD would land after a distribution's final REJECT; wirefleet fills its
    own chains, which the role's loader hooks in at position 1 of INPUT, FORWARD and POSTROUTING."""
    for family in (4, 6):
        text = iptables_rules(systems["vps"], family=family)
        lines = text.splitlines()
        assert lines[2:5] == ["*filter", ":WIREFLEET-INPUT - [0:0]", ":WIREFLEET-FORWARD - [0:0]"]
        assert lines.count("COMMIT") == 2
        assert ":WIREFLEET-POSTROUTING - [0:0]" in lines
        for _table, rule in ipt_rules(text):
            assert rule.split()[1] in ("WIREFLEET-INPUT", "WIREFLEET-FORWARD", "WIREFLEET-POSTROUTING")
        assert not re.search(r"^-[AIP] (INPUT|FORWARD|POSTROUTING)\b", text, re.M)
        assert not re.search(r"^:(INPUT|FORWARD|POSTROUTING) ", text, re.M)  # built-in chains are not reset
    with open(ROLE_LOADER, encoding="utf-8") as handle:
        loader = handle.read()
    assert "filter:INPUT:WIREFLEET-INPUT filter:FORWARD:WIREFLEET-FORWARD nat:POSTROUTING:WIREFLEET-POSTROUTING" in loader
    assert '-I "$chain" 1 -j "$target"' in loader
    assert "--noflush" in loader


def test_iptables_rejects_an_unknown_family(systems):
    with pytest.raises(AnsibleFilterError, match="family must be 4 or 6"):
        iptables_rules(systems["vps"], family=5)


def test_iptables_without_needs_is_empty(systems):
    assert iptables_rules(systems["laptop"], family=4) == ""
    assert iptables_rules(systems["laptop"], family=6) == ""


@pytest.mark.parametrize("family, tool", [(4, "iptables-restore"), (6, "ip6tables-restore")])
def test_iptables_restore_accepts_the_rules(systems, family, tool):
    if shutil.which(tool) is None:
        pytest.skip("%s is not installed" % tool)
    text = iptables_rules(systems["vps"], family=family)
    result = subprocess.run([tool, "--test", "--noflush"], input=text, capture_output=True, text=True, check=False)
    if result.returncode != 0 and re.search(r"[Pp]ermission denied|not permitted|you must be root", result.stderr):
        pytest.skip("%s --test needs privileges here: %s" % (tool, result.stderr.strip()))
    assert result.returncode == 0, result.stderr
