# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/firewall_ufw.py: plan() rules in ufw's terms, ufw's stored rules parsed back, the managed blocks.

data/ufw/hub.* were captured on a Debian 13 hub (ufw 0.36.2, iptables 1.8.11 nf_tables) after a converge of the
ufw backend: `ufw default deny incoming; ufw default deny routed; ufw allow 22/tcp; ufw --force enable`, then
wirefleet's rules (two known peers, the deny of anyone else, between peers, exit gateway, NAT).
"""

from __future__ import annotations

import os
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.module_utils import firewall_ufw as ufw
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import Rule, plan
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters

DATA = os.path.join(os.path.dirname(__file__), "data", "ufw")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HUB_SYSTEM = {
    "listen": [{"interface": "wg0", "port": 51820, "sources": ["198.18.120.11", "198.18.120.12"]}],
    "forwarding": [{"interface": "wg0", "between_peers": True, "to_uplink": True}],
    "nat": [{"interface": "wg0", "source": "198.18.122.0/24"}],
}


def data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


def hub_current():
    return ufw.parse_user_rules(data("hub.user.rules"), 4) + ufw.parse_user_rules(data("hub.user6.rules"), 6)


def hub_wanted(system=None):
    return ufw.render(plan(system or HUB_SYSTEM, "eth0"))


def test_the_hub_rules_in_ufw_terms():
    wanted, nat, notes = hub_wanted()
    assert [rule.args[:-2] for rule in wanted] == [
        ["allow", "proto", "udp", "from", "198.18.120.11", "to", "any", "port", "51820"],
        ["allow", "proto", "udp", "from", "198.18.120.12", "to", "any", "port", "51820"],
        ["deny", "proto", "udp", "from", "any", "to", "any", "port", "51820"],
        ["route", "allow", "in", "on", "wg0", "out", "on", "wg0", "from", "any", "to", "any"],
        ["route", "allow", "in", "on", "wg0", "out", "on", "eth0", "from", "any", "to", "any"],
    ]
    assert all(rule.args[-2] == "comment" and rule.args[-1].startswith("wirefleet: wg0: ") for rule in wanted)
    assert [sorted(rule.keys) for rule in wanted] == [[4], [4], [4, 6], [4, 6], [4, 6]]
    assert nat == {4: ['-A WIREFLEET-UFW-NAT -s 198.18.122.0/24 -o eth0 -m comment --comment '
                       '"wirefleet: wg0: NAT 198.18.122.0/24 out of eth0" -j MASQUERADE'], 6: []}
    # the strict drop and the replies are ufw's own (default routed policy; RELATED,ESTABLISHED in before.rules)
    assert notes == ["wg0: not routed by the topology: left to ufw's default routed policy"]


def test_without_ipv6_in_ufw_only_ipv4_keys_and_no_ipv6_nat():
    system = dict(HUB_SYSTEM, nat=[{"interface": "wg0", "source": "fd00:5::/64", "out_interface": "eth0"}])
    wanted, nat, notes = ufw.render(plan(system, "eth0"), ipv6=False)
    assert all(sorted(rule.keys) == [4] for rule in wanted)
    assert nat[6] == [] and any("IPv6 NAT" in note for note in notes)


def test_the_captured_rules_parse_and_match_what_is_wanted():
    current = hub_current()
    users = [entry for entry in current if not entry["ours"]]
    assert [entry["key"] for entry in users] == [(False, "tcp", "22", None, None, None, None)] * 2
    assert [entry["family"] for entry in current if entry["ours"]] == [4, 4, 4, 4, 4, 6, 6, 6]
    wanted, _nat, _notes = hub_wanted()
    assert ufw.changes(wanted, current) == ([], [], [])


def test_the_captured_show_added_lists_the_same_rules():
    shown = data("hub.show-added.txt")
    assert "ufw allow 22/tcp\n" in shown
    assert shown.count("comment 'wirefleet: ") == 5


def test_a_rule_deleted_by_hand_is_added_again_with_those_after_it():
    current = [entry for entry in hub_current() if "198.18.120.11" not in entry["line"]]
    wanted, _nat, _notes = hub_wanted()
    deletes, adds, skipped = ufw.changes(wanted, current)
    # ufw appends: the known peer must come before the deny, so everything of ours after it goes and comes back
    assert [ufw.shown(entry).split(" (")[0] for entry in deletes] == [
        "allow udp 51820 0.0.0.0/0 any 198.18.120.12 in", "deny udp 51820 0.0.0.0/0 any 0.0.0.0/0 in",
        "route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_wg0!out_wg0",
        "route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_wg0!out_eth0",
        "deny udp 51820 ::/0 any ::/0 in", "route:allow any any ::/0 any ::/0 in_wg0!out_wg0",
        "route:allow any any ::/0 any ::/0 in_wg0!out_eth0"]
    assert adds == wanted and skipped == []


def test_a_new_rule_at_the_end_is_only_appended():
    system = dict(HUB_SYSTEM, forwarding=[dict(HUB_SYSTEM["forwarding"][0], lans=["10.9.0.0/24"])])
    wanted, _nat, _notes = hub_wanted(system)
    deletes, adds, _skipped = ufw.changes(wanted, hub_current())
    # the LAN rules come before the exit gateway in plan order: the exit rules are deleted and added after them
    assert [ufw.shown(entry).split(" (")[0] for entry in deletes] == [
        "route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_wg0!out_eth0",
        "route:allow any any ::/0 any ::/0 in_wg0!out_eth0"]
    assert [rule.comment for rule in adds] == ["wirefleet: wg0: to LAN 10.9.0.0/24",
                                               "wirefleet: wg0: from LAN 10.9.0.0/24", "wirefleet: wg0: exit gateway"]


def test_the_users_rules_are_never_deleted_and_a_clash_is_skipped():
    users = ufw.parse_user_rules("### tuple ### allow udp 51820 0.0.0.0/0 any 0.0.0.0/0 in\n"
                                 "### tuple ### allow any 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in\n", 4)
    assert not any(entry["ours"] for entry in users) and users[1]["key"] is None
    wanted, _nat, _notes = hub_wanted()
    deletes, adds, skipped = ufw.changes(wanted, users)
    assert deletes == []
    # ufw would turn the user's `allow 51820/udp` into wirefleet's deny: left to the user, reported
    assert [rule.comment for rule, _user in skipped] == ["wirefleet: wg0: WireGuard port, anyone else"]
    assert len(adds) == 4
    with pytest.raises(ValueError):
        ufw.delete_args(users[0])


def test_everything_of_ours_is_deleted_when_nothing_is_wanted():
    deletes, adds, skipped = ufw.changes([], hub_current())
    assert len(deletes) == 8 and adds == [] and skipped == []
    argvs = [ufw.delete_args(entry) for entry in deletes]
    assert argvs[0] == ["delete", "allow", "in", "proto", "udp", "from", "198.18.120.11", "to", "any", "port", "51820"]
    assert argvs[3] == ["route", "delete", "allow", "in", "on", "wg0", "out", "on", "wg0", "from", "any", "to", "any"]


@pytest.mark.parametrize("line", [
    "### tuple ### allow udp 51820 0.0.0.0/0 any -x in comment=%s",
    "### tuple ### route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_-rf comment=%s",
    "### tuple ### allow udp 1:2 0.0.0.0/0 any 0.0.0.0/0 in comment=%s",
    "### tuple ### allow icmp any 0.0.0.0/0 any 0.0.0.0/0 in comment=%s",
])
def test_a_tampered_rule_of_ours_never_reaches_a_command_line(line):
    entry = ufw.parse_user_rules(line % "wirefleet: x".encode().hex(), 4)[0]
    assert entry["ours"]
    with pytest.raises(ValueError):
        ufw.delete_args(entry)


def test_the_nat_block_goes_before_the_first_table_and_is_replaced_in_place():
    stock, old = ufw.without_block(data("hub.before.rules"))
    assert old.startswith(ufw.BEGIN) and "*nat\n:WIREFLEET-UFW-NAT - [0:0]\n" in old
    block = ufw.nat_block(["-A WIREFLEET-UFW-NAT -s 10.1.0.0/24 -o eth0 -j MASQUERADE"])
    fresh = ufw.with_rules_block(stock, block)
    assert fresh.index(ufw.BEGIN) < fresh.index("# Don't delete these required lines") < fresh.index("*filter")
    again = ufw.with_rules_block(fresh, block)
    assert again == fresh and again.count(ufw.BEGIN) == 1
    assert ufw.with_rules_block(fresh, "") == stock


def test_the_init_block_adds_the_jump_once_and_goes_after_the_shebang():
    stock, old = ufw.without_block(data("hub.before.init"))
    assert "-C POSTROUTING -j WIREFLEET-UFW-NAT 2>/dev/null || iptables -w -t nat -A POSTROUTING" in old
    block = ufw.init_block([4, 6])
    text = ufw.with_init_block(stock, block)
    assert text.startswith("#!/bin/sh\n" + ufw.BEGIN) and "ip6tables -w -t nat -C POSTROUTING" in text
    assert ufw.with_init_block(text, block) == text
    assert ufw.with_init_block(text, "") == stock
    assert ufw.with_init_block("", block).startswith("#!/bin/sh\n")


def test_a_begin_without_end_is_refused():
    with pytest.raises(ValueError, match="no END"):
        ufw.without_block("x\n%s\n-A X\n" % ufw.BEGIN)


def test_defaults():
    assert ufw.parse_defaults('IPV6=yes\nDEFAULT_FORWARD_POLICY="DROP"\n') == {"ipv6": True, "routed_policy": "drop"}
    assert ufw.parse_defaults('IPV6=no\n#DEFAULT_FORWARD_POLICY="X"\nDEFAULT_FORWARD_POLICY="ACCEPT"\n') == {
        "ipv6": False, "routed_policy": "accept"}


def test_ipv6_protection_and_lans():
    system = {"forwarding": [{"interface": "wg0", "between_peers": True, "lans": ["2001:db8:5::/64"]}],
              "protect_ipv6": [{"interface": "wg0", "prefix": "2001:db8:7::/64"},
                               {"interface": "wg1", "prefix": "2001:db8:8::/64", "uplink": "eth0"}]}
    wanted, _nat, _notes = ufw.render(plan(system))
    args = [" ".join(rule.args[:-2]) for rule in wanted]
    assert args == [
        "route allow in on wg0 from 2001:db8:7::/64 to any",
        "route allow in on wg1 from 2001:db8:8::/64 to any",
        "route reject in on eth0 out on wg1 from any to 2001:db8:8::/64",
        "route allow in on wg0 out on wg0 from any to any",
        "route allow in on wg0 from any to 2001:db8:5::/64",
        "route allow out on wg0 from 2001:db8:5::/64 to any",
        # ufw cannot say "not in on wg0": this reject comes after wirefleet's accepts of traffic in on wg0
        "route reject out on wg0 from any to 2001:db8:7::/64",
    ]
    assert all(sorted(rule.keys) == [6] for rule in wanted if "2001" in " ".join(rule.args[:-2]))


# Hypothesis: whatever the inventory hands over, an argument is a checked value or ufw's own word, never
# an option, never holding a control character; and anything else is a ValueError before any argv exists.
WORD_CHARACTERS = set(string.ascii_letters + string.digits + "_=.-:/")
UFW_WORDS = {"allow", "deny", "reject", "route", "in", "out", "on", "proto", "udp", "tcp", "from", "to", "any",
             "port", "comment"}
HOSTILE = st.one_of(st.text(max_size=20), st.sampled_from(["-rf", "--dry-run", "wg0\n", "eth0;reboot", "a b", "+",
                                                          "10.0.0.0/8\n-A", "--", "wg0'", "1e3", "0x10"]))
INTERFACES = st.one_of(st.sampled_from(["wg0", "eth0", "wg-home", "br.lan"]), HOSTILE)
CIDRS = st.one_of(st.sampled_from(["10.9.0.0/24", "198.51.100.7", "2001:db8::/64", "fd00::1"]), HOSTILE)
PORTS = st.one_of(st.integers(-5, 70000), st.sampled_from(["51820", "-1", "51820\n"]), HOSTILE)


@st.composite
def systems(draw):
    return {
        "listen": [{"interface": draw(INTERFACES), "port": draw(PORTS),
                    "sources": draw(st.one_of(st.none(), st.lists(CIDRS, max_size=3)))}],
        "forwarding": [{"interface": draw(INTERFACES), "between_peers": draw(st.booleans()),
                        "lans": draw(st.lists(CIDRS, max_size=2)), "to_uplink": draw(st.booleans())}],
        "nat": draw(st.lists(st.fixed_dictionaries({"interface": INTERFACES, "source": CIDRS,
                                                    "out_interface": INTERFACES}), max_size=1)),
        "protect_ipv6": draw(st.lists(st.fixed_dictionaries({"interface": INTERFACES, "prefix": CIDRS}), max_size=1)),
    }


def _safe(arg):
    return isinstance(arg, str) and arg and not arg.startswith("-") and not control_characters(arg)


@SETTINGS
@given(systems())
def test_no_control_character_or_option_reaches_an_argument(system):
    try:
        rules = plan(system, "eth0", "eth0")
    except ValueError:
        return
    wanted, nat, _notes = ufw.render(rules)
    for rule in wanted:
        assert all(_safe(arg) for arg in rule.args), rule.args
        for arg in rule.args[:-1]:
            assert arg in UFW_WORDS or arg.isdigit() or set(arg) <= WORD_CHARACTERS, arg
    for line in nat[4] + nat[6]:
        assert not control_characters(line)
        assert line.count('"') == 2


@SETTINGS
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30), min_size=6, max_size=8))
def test_a_tampered_tuple_of_ours_is_deleted_with_checked_arguments_or_refused(fields):
    line = "### tuple ### " + " ".join(field.replace(" ", "") or "x" for field in fields) + " comment=" + \
        "wirefleet: x".encode().hex()
    for entry in ufw.parse_user_rules(line, 4):
        try:
            argv = ufw.delete_args(entry)
        except ValueError:
            continue
        assert all(_safe(arg) for arg in argv), argv


@SETTINGS
@given(st.text(max_size=40))
def test_a_hostile_comment_never_leaves_its_line(text):
    rule = Rule("input", "accept", text, proto="udp", dport=51820)
    try:
        wanted, _nat, _notes = ufw.render([rule])
    except ValueError:
        return
    assert _safe(wanted[0].args[-1]) and "'" not in wanted[0].args[-1]
