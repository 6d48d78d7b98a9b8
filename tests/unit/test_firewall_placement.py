# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/firewall.py placement(): where wirefleet's accepts go on a host with foreign drops, or why
the host must fail before its tunnel comes up. Facts are firewall_facts' results on captured real outputs."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.firewall_placement import FilterModule
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import (
    choose_backend,
    placement,
    plan,
    render_pass_iptables,
)
from ansible_collections.wirefleet.wireguard.plugins.modules import firewall_facts

from test_templates_safety import FIREWALL, environment

DATA = os.path.join(os.path.dirname(__file__), "data", "firewall")
HUB = {"listen": [{"interface": "wg0", "port": 51820, "sources": None}],
       "forwarding": [{"interface": "wg0", "between_peers": True, "lans": [], "to_uplink": True}],
       "nat": [{"interface": "wg0", "source": "10.8.0.0/24", "out_interface": "eth0"}]}


def data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


def docker_facts(user_table=False):
    """A Docker host (iptables-nft, FORWARD policy DROP); with user_table also the user's inet userfw."""
    chains, docker_user = firewall_facts.parse_iptables_save(data("docker.iptables-save"), "iptables")
    chains6, docker_user6 = firewall_facts.parse_iptables_save(data("docker.ip6tables-save"), "ip6tables")
    if user_table:
        chains += firewall_facts.parse_nft_ruleset(data("docker_userfw.nft.json"), "nft")
    return {"nft": True, "iptables": "nft", "ufw_active": False, "firewalld_running": False,
            "docker_user": docker_user or docker_user6, "chains": chains + chains6}


def test_docker_forward_drop_gets_our_forward_accepts_placed_in_front_of_it():
    result = placement(plan(HUB), docker_facts(), "nftables")
    assert result["backend"] == "nftables" and result["problems"] == []
    # IPv4 FORWARD only: ip6tables' FORWARD accepts; its INPUT reject is a drop at the input hook too
    assert result["hooks"] == [{"family": 4, "hook": "forward", "chain": "FORWARD", "target": "WIREFLEET-PASS-FORWARD"},
                               {"family": 6, "hook": "input", "chain": "INPUT", "target": "WIREFLEET-PASS-INPUT"}]
    assert any("FORWARD drops (policy drop, Docker's DOCKER-USER present)" in note for note in result["notes"])


def test_placed_rules_are_the_accepts_of_the_hook_only():
    rules = plan(HUB)
    hooks = placement(rules, docker_facts(), "nftables")["hooks"]
    text = render_pass_iptables(rules, 4, hooks)
    lines = [line for line in text.splitlines() if line.startswith("-A")]
    assert text.splitlines()[2:4] == ["*filter", ":WIREFLEET-PASS-FORWARD - [0:0]"]
    assert all(line.startswith("-A WIREFLEET-PASS-FORWARD ") and line.endswith("-j ACCEPT") for line in lines)
    assert len(lines) == 4   # between peers, exit, exit replies, replies (the strict drop stays in our table)
    assert "WIREFLEET-PASS-INPUT" in render_pass_iptables(rules, 6, hooks)
    assert render_pass_iptables(rules, 4, []) == ""


def test_a_user_table_that_drops_fails_the_host_naming_it():
    result = placement(plan(HUB), docker_facts(user_table=True), "nftables")
    forward, = result["problems"]
    assert forward.startswith("table inet userfw, chain forward (hook forward, policy drop) would drop forwarded")
    assert "wireguard_firewall_backend: none" in forward
    # its input chain drops only behind matches (another interface, another port): reported, not refused
    assert "inet userfw input has 2 conditional drop/reject rule(s) (e.g. fail2ban): wirefleet assumes they do not " \
           "match WireGuard traffic" in result["notes"]


def test_trusted_chains_are_left_to_the_user():
    result = placement(plan(HUB), docker_facts(user_table=True), "nftables",
                       trusted=["inet userfw forward", "inet userfw input"])
    assert result["problems"] == []
    assert sum("is trusted" in note for note in result["notes"]) == 1  # input only drops conditionally


def test_the_iptables_backend_needs_no_placement_but_still_fails_on_a_user_table():
    expected = {"backend": "iptables", "hooks": [], "problems": [], "notes": [], "rule_count": len(plan(HUB))}
    assert placement(plan(HUB), docker_facts(), "iptables") == expected
    assert len(placement(plan(HUB), docker_facts(user_table=True), "iptables")["problems"]) == 1


def test_drops_at_hooks_where_we_accept_nothing_do_not_matter():
    client = {"listen": [], "forwarding": []}
    assert placement(plan(client), docker_facts(user_table=True), "nftables")["problems"] == []
    listen_only = plan({"listen": [{"interface": "wg0", "port": 51820, "sources": None}]})
    facts = docker_facts()
    result = placement(listen_only, facts, "nftables")
    assert [hook["hook"] for hook in result["hooks"]] == ["input"]   # FORWARD's drop does not concern us


def test_nat_chains_of_others_are_not_drops():
    facts = {"chains": [{"tool": "nftables", "family": "ip", "table": "t", "chain": "post", "hook": "postrouting",
                         "type": "nat", "policy": "accept", "drops": True, "drop_rules": 1}]}
    assert placement(plan(HUB), facts, "nftables")["problems"] == []


@pytest.mark.parametrize("facts, backend", [
    ({}, "nftables"),                                        # nothing installed yet: nftables gets installed
    ({"nft": True, "iptables": "nft"}, "nftables"),
    ({"iptables": "legacy"}, "iptables"),                    # only iptables there: use it
])
def test_auto_picks_nftables_else_iptables(facts, backend):
    assert choose_backend("auto", facts) == (backend, [])


@pytest.mark.parametrize("facts, backend", [
    ({"nft": True, "firewalld_running": True, "firewalld_installed": True}, "firewalld"),
    ({"nft": True, "ufw_active": True, "ufw_installed": True}, "ufw"),
    # both: firewalld runs the host's netfilter; an active ufw beside it is the user's to sort out
    ({"nft": True, "ufw_active": True, "ufw_installed": True, "firewalld_running": True}, "firewalld"),
    ({"nft": True, "ufw_installed": True}, "nftables"),       # installed but inactive: not in the way
    ({"iptables": "legacy", "firewalld_installed": True}, "iptables"),
])
def test_auto_follows_the_firewall_tool_that_is_active(facts, backend):
    assert choose_backend("auto", facts) == (backend, [])


def test_forced_backends_and_none():
    assert choose_backend("iptables", {"ufw_active": True}) == ("iptables", [])
    assert choose_backend("ufw", {"ufw_installed": True}) == ("ufw", [])
    assert choose_backend("firewalld", {"firewalld_running": True}) == ("firewalld", [])
    assert placement(plan(HUB), docker_facts(user_table=True), "none")["problems"] == []
    with pytest.raises(ValueError, match="wireguard_firewall_backend 'shorewall' is not one of auto, firewalld, ufw"):
        choose_backend("shorewall", {})


@pytest.mark.parametrize("backend, facts, problem", [
    ("ufw", {"nft": True}, "ufw is not installed"),
    ("firewalld", {"nft": True, "firewalld_installed": True}, "firewalld is not running"),
])
def test_a_forced_tool_that_is_not_there_fails_the_host(backend, facts, problem):
    result = placement(plan(HUB), facts, backend)
    assert result["backend"] == backend
    assert problem in result["problems"][0] and "wireguard_firewall_backend" in result["problems"][0]


def test_the_chosen_tools_own_drops_are_its_business_others_still_count():
    ufw_host = dict(docker_facts(), ufw_active=True, ufw_installed=True)
    result = placement(plan(HUB), ufw_host, "auto")
    assert (result["backend"], result["problems"], result["hooks"]) == ("ufw", [], [])
    firewalld_table = {"tool": "nftables", "family": "inet", "table": "firewalld", "chain": "filter_FORWARD",
                       "hook": "forward", "type": "filter", "policy": "accept", "drops": True, "drop_rules": 3}
    user_table = {"tool": "nftables", "family": "inet", "table": "mine", "chain": "forward", "hook": "forward",
                  "type": "filter", "policy": "drop", "drops": True, "drop_rules": 0}
    firewalld_host = {"nft": True, "firewalld_running": True, "chains": [firewalld_table]}
    assert placement(plan(HUB), firewalld_host, "auto")["problems"] == []
    firewalld_host["chains"].append(user_table)
    problems = placement(plan(HUB), firewalld_host, "auto")["problems"]
    assert len(problems) == 1 and "table inet mine, chain forward" in problems[0]
    # the nftables backend does not own firewalld's table: it refuses the host instead
    assert "table inet firewalld" in placement(plan(HUB), firewalld_host, "nftables")["problems"][0]


def test_junk_facts_are_ignored_not_crashed_on():
    assert placement(plan(HUB), None, "nftables")["problems"] == []
    assert placement(plan(HUB), {"chains": ["x", None, {"drops": True, "hook": "nowhere"}]}, "nftables")["hooks"] == []


def test_filter_returns_the_placed_rules_and_refuses_junk():
    placed = FilterModule().filters()["firewall_placement"]
    result = placed(HUB, docker_facts(), backend="nftables")
    assert result["pass_iptables"].count("-A WIREFLEET-PASS-FORWARD") == 4
    assert ":WIREFLEET-PASS-INPUT" in result["pass_ip6tables"]
    with pytest.raises(AnsibleFilterError, match="wireguard_firewall_trusted_chains 'inet userfw forward' is not a list"):
        placed(HUB, {}, trusted="inet userfw forward")
    with pytest.raises(AnsibleFilterError, match="wireguard_firewall_backend"):
        placed(HUB, {}, backend="shorewall")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("iptables-restore"),
                    reason="needs root, unshare and iptables-restore")
def test_iptables_restore_takes_the_placed_rules():
    # in a network namespace of its own: the machine's rules are never touched
    rules = plan(HUB)
    hooks = placement(rules, docker_facts(), "nftables")["hooks"]
    for tool, family in (("iptables-restore", 4), ("ip6tables-restore", 6)):
        text = render_pass_iptables(rules, family, hooks)
        done = subprocess.run(["unshare", "-n", tool, "--test", "--noflush"], input=text, capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr


def render_pass_script(folder):
    """wirefleet-pass as the role installs it, for rule files in folder."""
    text = environment(FIREWALL).get_template("wirefleet-pass.j2").render(wireguard_firewall_dir=str(folder),
                                                                          ansible_managed="test")
    script = folder / "wirefleet-pass"
    script.write_text(text)
    script.chmod(0o755)
    return script


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("iptables-restore"),
                    reason="needs root, unshare and iptables-restore")
def test_the_pass_script_places_checks_repairs_and_removes(tmp_path):
    rules = plan(HUB)
    hooks = placement(rules, docker_facts(), "nftables")["hooks"]
    (tmp_path / "pass-iptables.rules").write_text(render_pass_iptables(rules, 4, hooks))
    (tmp_path / "pass-ip6tables.rules").write_text(render_pass_iptables(rules, 6, hooks))
    script = render_pass_script(tmp_path)
    # one shell in a network namespace of its own (the machine's rules are never touched), Docker's rules first
    steps = " && ".join([
        "iptables -P FORWARD DROP", "iptables -N DOCKER-USER", "iptables -A FORWARD -j DOCKER-USER",
        "! {s} check", "{s} start", "{s} start", "{s} check",
        "iptables -S FORWARD | sed -n 2p | grep -qx -- '-A FORWARD -j WIREFLEET-PASS-FORWARD'",
        "test $(iptables -S WIREFLEET-PASS-FORWARD | grep -c '^-A') = 4",
        "ip6tables -C INPUT -j WIREFLEET-PASS-INPUT",
        "iptables -D WIREFLEET-PASS-FORWARD 1", "! {s} check",       # a deleted accept is noticed
        "{s} start", "{s} check", "{s} stop", "! {s} check",
        "! iptables-save | grep -q WIREFLEET", "! ip6tables-save | grep -q WIREFLEET",
        "iptables -C FORWARD -j DOCKER-USER",                         # Docker's rules stay
    ]).format(s=script)
    done = subprocess.run(["unshare", "-n", "sh", "-ec", steps], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_names_from_the_host_cannot_add_lines_to_the_message():
    facts = {"chains": [{"tool": "nftables", "family": "inet", "table": "evil\nok: all good", "chain": "fwd",
                         "hook": "forward", "type": "filter", "policy": "drop", "drops": True, "drop_rules": "x"}]}
    problem, = placement(plan(HUB), facts, "nftables")["problems"]
    assert "\n" not in problem and "table inet 'evil\\nok: all good', chain fwd (hook forward, policy drop)" in problem


def test_an_unreadable_nft_ruleset_refuses_rather_than_switching_backend():
    backend, problems = choose_backend("auto", {"nft": True, "nft_unreadable": True, "iptables": "nft"})
    assert backend == "nftables" and "cannot tell whether another firewall drops" in problems[0]


def test_the_placed_exit_accept_goes_only_out_of_the_nat_uplink():
    """First in Docker's FORWARD, `-i wg0 -j ACCEPT` would open every bridge and unpublished container port."""
    rules = plan(HUB)
    hooks = placement(rules, docker_facts(), "nftables")["hooks"]
    lines = [line for line in render_pass_iptables(rules, 4, hooks).splitlines() if "exit gateway" in line]
    exit_accept = [line for line in lines if "replies" not in line]
    assert exit_accept and all(" -i wg0 -o eth0 " in line for line in exit_accept), lines


@pytest.mark.parametrize("entry", ["inet userfw", "bridge filter forward", "inet userfw input\nPostUp", "inet a b c",
                                   "inet user fw input", 7, None, "inet %s input" % ("x" * 65)])
def test_trusted_chains_are_family_table_chain_or_refused(entry):
    with pytest.raises(ValueError, match="wireguard_firewall_trusted_chains entry .*(is not 'family table chain'|control character)"):
        placement(plan(HUB), docker_facts(user_table=True), "nftables", [entry])


def test_a_trusted_chain_is_named_in_the_notes_and_no_longer_fails_the_host():
    facts = docker_facts(user_table=True)
    problems = placement(plan(HUB), facts, "nftables")["problems"]
    assert problems and "wireguard_firewall_trusted_chains" in problems[0]
    names = [p.split(",", maxsplit=1)[0].replace("table ", "") + " " + p.split("chain ")[1].split(" ")[0]
             for p in problems]
    result = placement(plan(HUB), facts, "nftables", names)
    assert result["problems"] == []
    assert all(any(name in note and "trusted" in note for note in result["notes"]) for name in names)
