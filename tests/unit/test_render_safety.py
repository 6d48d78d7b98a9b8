# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No value can end a line of what wirefleet renders (issue #11).

A network name like "wg0'\\n[Interface]\\nPostUp = touch /tmp/x\\n#" once reached every host's config,
and PostUp runs as root. Whatever a value's origin, wgquick.render and the firewall renderers either
refuse it (ValueError naming the field) or produce exactly the lines the entry implies; the host-side
check (wgconf.problems) refuses every hook, in any spelling, in the raw text.
"""

from __future__ import annotations

import copy
import re
import shlex
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import plan, render_iptables, render_nftables
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import NEVER_WRITTEN, problems
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render

from conftest import fake_key

LINE_ENDERS = ("\n", "\r", "\x00", "\t")
# Characters that end or hide a line somewhere (Python's splitlines, bash's read, unicode), and characters
# that change the meaning of a wg-quick or rule line without a line break.
NASTY = ("\n", "\r", "\r\n", "\x00", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\u200b", "\u202e",
         "#", ",", "=", "[", "]", '"', "'", " ", "%", "/", ":", ";", "{", "}", "\\")
HOOK = "\n[Interface]\nPostUp = touch /tmp/x\n#"


def interface_entry():
    """A spoke's entry as the engine computes it (docs/engine.md), every optional field set."""
    return {
        "network": "home",
        "role": "gateway",
        "type": "routed",
        "addresses": ["10.8.0.2/24", "fd00:8::2/64"],
        "listen_port": 51820,
        "mtu": 1420,
        "dns": ["10.8.0.1", "lan.example.org"],
        "full_tunnel": False,
        "public_key": fake_key("nas"),
        "peers": [
            {"name": "vps", "role": "hub", "public_key": fake_key("vps"), "endpoint": "vps.example.com:51820",
             "allowed_ips": ["10.8.0.0/24", "fd00:8::/64"], "keepalive": 25, "preshared_key_id": "home/nas--vps"},
            {"name": "alpha", "role": "mesh", "public_key": fake_key("alpha"), "endpoint": "[2001:db8::1]:4500",
             "allowed_ips": ["10.8.0.3/32"], "keepalive": None, "preshared_key_id": "home/alpha--nas"},
        ],
        "routes": [],
    }


def render_args():
    """The arguments of render, as a mutable dict: every string a config line can get."""
    return {
        "host": "nas",
        "interface": "home0",
        "entry": interface_entry(),
        "private_key": fake_key("private of nas"),
        "preshared_keys": {"home/nas--vps": fake_key("psk nas--vps"), "home/alpha--nas": fake_key("psk alpha--nas")},
    }


# Every string render writes, as a path into render_args(), with the field name its error must give.
STRING_FIELDS = {
    ("host",): "host",
    ("interface",): "interface",
    ("entry", "network"): "network",
    ("entry", "role"): "role",
    ("entry", "addresses", 0): "addresses item 1",
    ("entry", "addresses", 1): "addresses item 2",
    ("entry", "dns", 0): "dns item 1",
    ("entry", "dns", 1): "dns item 2",
    ("private_key",): "private key",
    ("preshared_keys", "home/nas--vps"): "peer 1 (vps) preshared key",
    ("entry", "peers", 0, "name"): "peer 1 name",
    ("entry", "peers", 0, "role"): "peer 1 (vps) role",
    ("entry", "peers", 0, "public_key"): "peer 1 (vps) public_key",
    ("entry", "peers", 0, "endpoint"): "peer 1 (vps) endpoint",
    ("entry", "peers", 0, "allowed_ips", 0): "peer 1 (vps) allowed_ips item 1",
    ("entry", "peers", 0, "allowed_ips", 1): "peer 1 (vps) allowed_ips item 2",
    ("entry", "peers", 0, "preshared_key_id"): "peer 1 (vps) preshared_key_id",
    ("entry", "peers", 1, "name"): "peer 2 name",
    ("entry", "peers", 1, "role"): "peer 2 (alpha) role",
    ("entry", "peers", 1, "public_key"): "peer 2 (alpha) public_key",
    ("entry", "peers", 1, "endpoint"): "peer 2 (alpha) endpoint",
    ("entry", "peers", 1, "allowed_ips", 0): "peer 2 (alpha) allowed_ips item 1",
    ("entry", "peers", 1, "preshared_key_id"): "peer 2 (alpha) preshared_key_id",
}
NUMBER_FIELDS = {
    ("entry", "listen_port"): "listen_port",
    ("entry", "mtu"): "mtu",
    ("entry", "peers", 0, "keepalive"): "peer 1 (vps) keepalive",
}


def with_value(path, value, args=None):
    """render_args() (or a copy of args) with the value at path replaced."""
    args = copy.deepcopy(args or render_args())
    target = args
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return args


def skeleton(text):
    """The structure of a config: one (kind, key) per line, as wg-quick reads it (lines end only at '\\n')."""
    shape = []
    for line in text.split("\n"):
        if not line:
            shape.append(("blank", None))
        elif line.startswith("# PresharedKey: "):
            # a valid psk id with no key given: the comment stands where the key would be
            shape.append(("setting", "PresharedKey"))
        elif line.startswith("#"):
            shape.append(("comment", None))
        elif line.startswith("["):
            shape.append(("section", line))
        else:
            shape.append(("setting", line.split(" = ", 1)[0]))
    return shape


BASELINE = render(**render_args())
BASELINE_SHAPE = skeleton(BASELINE)


def assert_same_structure(text):
    """text has exactly the lines the entry implies: same count and kinds, one value per setting, no hook."""
    assert skeleton(text) == BASELINE_SHAPE
    for line in text.split("\n"):
        if line and not line.startswith(("#", "[")):
            _key, _sep, value = line.partition(" = ")
            assert "#" not in value, line  # a value never starts a comment (wg-quick cuts at the first '#')
    assert problems(text) == []


def near_valid(value):
    """Text close to a valid value: the value with something nasty before, inside or after it."""
    nasty = st.sampled_from(NASTY) | st.text(min_size=1, max_size=3)
    return st.one_of(
        st.builds(lambda bad: value + bad, nasty),
        st.builds(lambda bad: bad + value, nasty),
        st.builds(lambda cut, bad: value[:cut] + bad + value[cut:], st.integers(0, len(value)), nasty),
        st.builds(lambda bad: value + bad, st.just(HOOK)),
    )


def field_and_text():
    def pick(path):
        args = render_args()
        original = args
        for step in path:
            original = original[step]
        return st.tuples(st.just(path), st.text() | near_valid(original))
    return st.sampled_from(sorted(STRING_FIELDS, key=str)).flatmap(pick)


# ---------------------------------------------------------------- wg-quick configs


def test_the_baseline_is_a_complete_config():
    assert BASELINE.count("[Peer]") == 2 and "PresharedKey = " in BASELINE and problems(BASELINE) == []
    assert [kind for kind, _key in BASELINE_SHAPE].count("setting") == 14


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_and_text())
def test_any_text_in_any_field_is_refused_or_stays_in_its_line(case):
    path, text = case
    try:
        rendered = render(**with_value(path, text))
    except ValueError as exc:
        assert str(exc).startswith(STRING_FIELDS[path]), (str(exc), path)
        event("refused")
        return
    event("accepted")
    assert_same_structure(rendered)


@pytest.mark.parametrize("ender", LINE_ENDERS, ids=repr)
@pytest.mark.parametrize("path", sorted(STRING_FIELDS, key=str), ids=lambda path: STRING_FIELDS[path])
def test_a_trailing_line_ender_in_any_field_is_refused_naming_it(path, ender):
    args = render_args()
    original = args
    for step in path:
        original = original[step]
    with pytest.raises(ValueError) as info:
        render(**with_value(path, original + ender))
    message = str(info.value)
    assert message.startswith(STRING_FIELDS[path]), message
    assert repr(ender)[1:-1] in message or "is not" in message, message


@pytest.mark.parametrize("path", sorted(STRING_FIELDS, key=str), ids=lambda path: STRING_FIELDS[path])
def test_the_issue_11_payload_is_refused_in_any_field(path):
    args = render_args()
    original = args
    for step in path:
        original = original[step]
    with pytest.raises(ValueError, match="control character"):
        render(**with_value(path, original + HOOK))


@pytest.mark.parametrize("path", sorted(NUMBER_FIELDS, key=str), ids=lambda path: NUMBER_FIELDS[path])
@pytest.mark.parametrize("value", ["51820", "51820\nPostUp = x", 70000, -1, True, 1.5, [1]], ids=repr)
def test_numbers_must_be_numbers_in_range(path, value):
    with pytest.raises(ValueError, match="^" + re.escape(NUMBER_FIELDS[path])):
        render(**with_value(path, value))


def test_secrets_are_never_shown_in_errors():
    for path in (("private_key",), ("preshared_keys", "home/nas--vps")):
        secret = fake_key("secret")[:-2] + "\nPostUp = x"
        with pytest.raises(ValueError) as info:
            render(**with_value(path, secret))
        assert fake_key("secret")[:-2] not in str(info.value)


def test_non_canonical_keys_are_refused():
    key = fake_key("vps")
    # Same bytes, other last character: base64 decoders accept it, wg does not.
    other = key[:-2] + chr(ord(key[-2]) + 1) + "="
    with pytest.raises(ValueError, match="public_key"):
        render(**with_value(("entry", "peers", 0, "public_key"), other))


def test_a_private_key_note_stays_a_comment():
    args = render_args()
    args["private_key"] = None
    text = render(private_key_note="kept in the controller store (private/nas/home.key)", **args)
    assert "# PrivateKey: kept in the controller store (private/nas/home.key)" in text.splitlines()
    for ender in LINE_ENDERS + ("\u2028",):
        with pytest.raises(ValueError, match="private key note"):
            render(private_key_note="note" + ender + "PostUp = x", **args)


def test_unknown_peers_are_placeholders_or_left_out():
    args = with_value(("entry", "peers", 0, "public_key"), None)
    shown = render(**args)
    assert "PublicKey = <public key of vps: unknown until it is converged>" in shown.splitlines()
    assert "vps" not in render(skip_unknown_peers=True, **args).split("[Peer]", 1)[-1].split("\n", 2)[1]


# ---------------------------------------------------------------- the host-side check


def _good_config():
    return render(**render_args())


def _spellings(hook):
    return [hook, hook.lower(), hook.upper(), "  %s  =  x" % hook, "%s=x" % hook, "\t%s\t= x" % hook,
            " ".join(hook) + " = x"]


@pytest.mark.parametrize("hook", sorted(NEVER_WRITTEN.values()))
@pytest.mark.parametrize("section", ["[Interface]", "[Peer]"])
def test_problems_flags_every_hook_in_any_spelling_and_section(hook, section):
    for spelling in _spellings(hook):
        line = spelling if "=" in spelling else spelling + " = touch /tmp/x"
        text = _good_config().replace(section + "\n", section + "\n" + line + "\n", 1)
        found = problems(text)
        assert "carries %s, which wirefleet never writes" % hook in found, (line, found)


@pytest.mark.parametrize("line, fragment", [
    ("[Other]", "neither [Interface] nor [Peer]"),
    ("[interface]", "neither [Interface] nor [Peer]"),
    ("[Interface] extra", "neither [Interface] nor [Peer]"),
    ("just some words", "neither Key = value"),
    ("= value", "neither Key = value"),
    ("# a comment\x85PostUp = touch /tmp/x", "control character"),
    ("Address = 10.8.0.9/32\rPostUp = x", "control character"),
    ("MTU = 1420\u2028", "control character"),
    ("[Interface]", "2 [Interface] sections"),
])
def test_problems_flags_lines_wirefleet_never_writes(line, fragment):
    text = _good_config().replace("\n[Peer]\n", "\n%s\n[Peer]\n" % line, 1)
    assert any(fragment in problem for problem in problems(text)), problems(text)


def test_problems_flags_a_setting_before_any_section():
    assert any("before the first section" in problem for problem in problems("MTU = 1420\n" + _good_config()))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(NEVER_WRITTEN.values())), st.text(), st.sampled_from(["[Interface]", "[Peer]"]))
def test_problems_flags_a_hook_whatever_its_command(hook, command, section):
    text = _good_config().replace(section + "\n", "%s\n%s = %s\n" % (section, hook, command.replace("\n", " ")), 1)
    assert any(hook in problem for problem in problems(text))


@pytest.mark.skipif(shutil.which("wg-quick") is None, reason="wg-quick is not installed")
def test_wg_quick_strip_hides_hooks_so_the_raw_text_is_checked(tmp_path):
    for hook in ("PostUp = touch /tmp/x", "postup=touch /tmp/x"):
        text = _good_config().replace("[Interface]\n", "[Interface]\n%s\n" % hook, 1)
        path = tmp_path / "home0.conf"
        path.write_text(text)
        stripped = subprocess.run(["wg-quick", "strip", str(path)], capture_output=True, text=True, check=True).stdout
        # strip drops the hook: its output alone passes the check, the raw text does not
        assert "touch" not in stripped and problems(stripped) == []
        assert "carries PostUp, which wirefleet never writes" in problems(text)


# ---------------------------------------------------------------- firewall rules


def system_needs():
    """A `system` with every kind of need and every optional field set."""
    return {
        "listen": [{"interface": "wg0", "port": 51820, "sources": None},
                   {"interface": "s2s", "port": 51821, "sources": ["198.51.100.7", "beta.example.org"]}],
        "protect_ipv6": [{"interface": "wg0", "prefix": "2001:db8:1:2:100::/72", "uplink": "ens3"}],
        "forwarding": [{"interface": "wg0", "between_peers": True, "lans": ["192.168.1.0/24", "fd00:1::/64"],
                        "to_uplink": True}],
        "nat": [{"interface": "wg0", "source": "10.8.0.0/24", "out_interface": "ens3"},
                {"interface": "wg0", "source": "fd00:8::/64", "out_interface": None}],
    }


def plan_args():
    return {"system": system_needs(), "default_interface": "eth0", "default_interface6": "eth1",
            "resolved": {"beta.example.org": ["203.0.113.5", "2001:db8::5"]}}


FIREWALL_FIELDS = {
    ("system", "listen", 0, "interface"): "listen interface",
    ("system", "listen", 1, "interface"): "listen interface",
    ("system", "listen", 1, "sources", 0): None,  # a source that is no address is a name: it opens nothing
    ("system", "listen", 1, "sources", 1): None,
    ("system", "protect_ipv6", 0, "interface"): "protect_ipv6 interface",
    ("system", "protect_ipv6", 0, "prefix"): "protect_ipv6 prefix",
    ("system", "protect_ipv6", 0, "uplink"): "protect_ipv6 uplink",
    ("system", "forwarding", 0, "interface"): "forwarding interface",
    ("system", "forwarding", 0, "lans", 0): "LAN",
    ("system", "forwarding", 0, "lans", 1): "LAN",
    ("system", "nat", 0, "interface"): "nat interface",
    ("system", "nat", 0, "source"): "nat source",
    ("system", "nat", 0, "out_interface"): "nat out_interface",
    ("default_interface",): "default_interface",
    ("default_interface6",): "default_interface6",
    ("resolved", "beta.example.org", 0): "resolved address",
    ("resolved", "beta.example.org", 1): "resolved address",
}


def firewall_with(path, value):
    args = plan_args()
    target = args
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return args


def rendered_rules(args):
    rules = plan(**args)
    return [render_nftables(rules), render_iptables(rules, 4), render_iptables(rules, 6)]


BASE_RULES = rendered_rules(plan_args())


def rule_tokens(text):
    """Each rule line of a rendered file, split as nft / iptables-restore split it (quotes kept together)."""
    return [shlex.split(line) for line in text.split("\n") if line.startswith(("\t\t", "-A ")) and "type " not in line]


IPT_OPTIONS = {"-A", "-i", "-o", "-s", "-d", "-p", "--dport", "-m", "--ctstate", "--comment", "-j", "--reject-with"}


def assert_rules_stay_lines(texts, exact):
    """Every line is a structural line of the base files or one whole rule; exact: the same rules' shapes.

    (An IPv4 value may become IPv6 and move a rule from the iptables file to the ip6tables file, so
    those two are compared together.)
    """
    base_lines = {line for base in BASE_RULES for line in base.split("\n")}
    for text in texts:
        for line in text.split("\n"):
            assert line in base_lines or line.startswith(("\t\t", "-A WIREFLEET-")), repr(line)
    nft, ipt = [rule_tokens(texts[0])], [rule_tokens(texts[1]) + rule_tokens(texts[2])]
    base_nft, base_ipt = [rule_tokens(BASE_RULES[0])], [rule_tokens(BASE_RULES[1]) + rule_tokens(BASE_RULES[2])]
    for rules, base in ((nft, base_nft), (ipt, base_ipt)):
        if exact:
            assert sorted(len(tokens) for tokens in rules[0]) == sorted(len(tokens) for tokens in base[0])
        else:
            assert len(rules[0]) <= len(base[0]) + 4
    for tokens in nft[0]:
        assert tokens[-2] == "comment" and tokens[-4] == "counter", tokens
    for tokens in ipt[0]:
        assert tokens[:2] in (["-A", "WIREFLEET-INPUT"], ["-A", "WIREFLEET-FORWARD"], ["-A", "WIREFLEET-POSTROUTING"])
        jump = tokens.index("-j")
        assert tokens[jump - 2] == "--comment" and tokens[jump + 1] in ("ACCEPT", "DROP", "REJECT", "MASQUERADE"), tokens
        # no value reads as an option (getopt would take "-o --comment" as an interface, other tools might not)
        assert set(token for token in tokens if token.startswith("-")) <= IPT_OPTIONS, tokens


def firewall_field_and_text():
    def pick(path):
        original = plan_args()
        for step in path:
            original = original[step]
        return st.tuples(st.just(path), st.text() | near_valid(original))
    return st.sampled_from(sorted(FIREWALL_FIELDS, key=str)).flatmap(pick)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(firewall_field_and_text())
def test_any_text_in_any_system_field_is_refused_or_each_rule_stays_one_line(case):
    path, text = case
    try:
        texts = rendered_rules(firewall_with(path, text))
    except ValueError as exc:
        assert FIREWALL_FIELDS[path] is not None and FIREWALL_FIELDS[path] in str(exc), (path, str(exc))
        event("refused")
        return
    event("accepted")
    # a source or resolved address may become another (or the same) address, or an uplink none at all
    exact = FIREWALL_FIELDS[path] is not None and path[0] != "resolved" and text != ""
    assert_rules_stay_lines(texts, exact)


@pytest.mark.parametrize("ender", LINE_ENDERS, ids=repr)
@pytest.mark.parametrize("path", sorted((path for path, name in FIREWALL_FIELDS.items() if name), key=str))
def test_a_trailing_line_ender_in_any_system_field_is_refused_naming_it(path, ender):
    original = plan_args()
    for step in path:
        original = original[step]
    with pytest.raises(ValueError, match=re.escape(FIREWALL_FIELDS[path])):
        rendered_rules(firewall_with(path, original + ender))


@pytest.mark.parametrize("port", ["51820\n", "51820 ", 0, 70000, True, "5e4", None])
def test_a_listen_port_must_be_a_port(port):
    with pytest.raises(ValueError, match="listen port"):
        rendered_rules(firewall_with(("system", "listen", 0, "port"), port))


def test_a_rule_built_by_hand_is_checked_by_the_renderers_too():
    rule = plan(**plan_args())[0]
    rule.comment = 'x" counter accept\n\t\tip saddr 0.0.0.0/0 accept comment "'
    for render_rules in (render_nftables, lambda rules: render_iptables(rules, 4)):
        with pytest.raises(ValueError, match="comment"):
            render_rules([rule])
    # A double quote would end the quoted comment and let the rest become rule tokens: it becomes a single one.
    rule = plan(**plan_args())[0]
    rule.comment = 'x" drop comment "y'
    (nft_rule,) = rule_tokens(render_nftables([rule]))
    (ipt_rule,) = rule_tokens(render_iptables([rule], 4))
    assert nft_rule[-2:] == ["comment", "x' drop comment 'y"] and nft_rule.count("accept") == 1
    assert ipt_rule[ipt_rule.index("--comment") + 1] == "x' drop comment 'y" and ipt_rule[-2:] == ["-j", "ACCEPT"]
    rule = plan(**plan_args())[0]
    rule.iif = "wg0\n"
    with pytest.raises(ValueError, match="rule iif"):
        render_nftables([rule])
