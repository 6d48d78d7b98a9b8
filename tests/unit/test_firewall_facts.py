# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall_facts module on captured real outputs, with run_command faked.

docker_userfw.nft.json, docker.iptables-save and docker.ip6tables-save were captured in an empty network
namespace (unshare -n) on Debian 12 (nftables 1.0.6, iptables 1.8.9 nf_tables) after Docker's rules were
recreated by hand (FORWARD policy DROP, DOCKER-USER, DOCKER-ISOLATION-STAGE-1, a masquerade), plus a user's
`table inet userfw` (input policy accept with drops, forward policy drop), a user's nat table and wirefleet's own
table. legacy.iptables-save is written by hand in iptables-save's format.
"""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.modules import firewall_facts

DATA = os.path.join(os.path.dirname(__file__), "data", "firewall")


def data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


def by_name(chains):
    return {(c["tool"], c["family"], c["table"], c["chain"]): c for c in chains}


def test_iptables_nft_tables_are_read_once_through_iptables_save():
    chains = by_name(firewall_facts.parse_nft_ruleset(data("docker_userfw.nft.json"), "nft"))
    assert set(chains) == {("nftables", "inet", "userfw", "input"), ("nftables", "inet", "userfw", "forward"),
                           ("nftables", "ip", "usernat", "post")}


def test_user_table_policy_and_drop_rules():
    chains = by_name(firewall_facts.parse_nft_ruleset(data("docker_userfw.nft.json"), "nft"))
    forward = chains["nftables", "inet", "userfw", "forward"]
    assert (forward["hook"], forward["policy"], forward["drops"], forward["drop_rules"]) == ("forward", "drop", True, 0)
    # ct state invalid drop does not count; iifname "eth9" drop and tcp dport 23 reject are conditional: counted
    # apart and not taken for drops of WireGuard traffic (else fail2ban's table would refuse every hub)
    userinput = chains["nftables", "inet", "userfw", "input"]
    assert (userinput["policy"], userinput["drops"], userinput["drop_rules"], userinput["conditional_drop_rules"]) \
        == ("accept", False, 0, 2)
    nat = chains["nftables", "ip", "usernat", "post"]
    assert (nat["hook"], nat["type"], nat["drops"]) == ("postrouting", "nat", False)


def test_with_legacy_iptables_the_ip_filter_table_in_nftables_is_someone_elses():
    chains = by_name(firewall_facts.parse_nft_ruleset(data("docker_userfw.nft.json"), "legacy"))
    assert chains["nftables", "ip", "filter", "FORWARD"]["policy"] == "drop"


def test_docker_forward_policy_drop_and_docker_user():
    chains, docker_user = firewall_facts.parse_iptables_save(data("docker.iptables-save"), "iptables")
    chains = by_name(chains)
    assert docker_user
    forward = chains["iptables", "ip", "filter", "FORWARD"]
    assert (forward["hook"], forward["policy"], forward["drops"], forward["drop_rules"]) == ("forward", "drop", True, 0)
    # only the ctstate INVALID drop in INPUT: not a drop of valid traffic
    assert chains["iptables", "ip", "filter", "INPUT"]["drops"] is False
    assert chains["iptables", "ip", "nat", "POSTROUTING"]["drops"] is False


def test_ip6tables_reject_rule_counts():
    chains, docker_user = firewall_facts.parse_iptables_save(data("docker.ip6tables-save"), "ip6tables")
    chains = by_name(chains)
    assert not docker_user
    assert chains["ip6tables", "ip6", "filter", "INPUT"]["drop_rules"] == 1
    assert chains["ip6tables", "ip6", "filter", "FORWARD"]["drops"] is False


def test_drops_in_jumped_to_chains_count_and_wirefleets_own_chains_do_not():
    chains = by_name(firewall_facts.parse_iptables_save(data("legacy.iptables-save"), "iptables")[0])
    assert chains["iptables", "ip", "filter", "INPUT"]["drop_rules"] == 1   # user-input's REJECT only
    assert chains["iptables", "ip", "filter", "INPUT"]["policy"] == "drop"
    assert chains["iptables", "ip", "filter", "FORWARD"]["drops"] is False


def test_no_ruleset_no_chains():
    assert firewall_facts.parse_nft_ruleset("") == []
    assert firewall_facts.parse_iptables_save("", "iptables") == ([], False)


@pytest.mark.parametrize("text, variant", [("iptables v1.8.9 (nf_tables)", "nft"),
                                           ("iptables v1.8.9 (legacy)", "legacy"),
                                           ("iptables v1.6.1", "legacy"), ("", None)])
def test_iptables_variant(text, variant):
    assert firewall_facts.iptables_variant(text) == variant


def fake_host(monkeypatch, outputs):
    """run_command answers from outputs {tool: (rc, stdout)}; a tool not in it is not installed."""
    calls = []

    def run_command(self, args, **_kwargs):
        calls.append(args)
        rc, out = outputs[os.path.basename(args[0])]
        return rc, out, ""
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path",
                        lambda self, name, required=False: "/usr/sbin/" + name if name in outputs else None)
    return calls


def run_module(capsys):
    with patch_module_args({}):
        with pytest.raises(SystemExit):
            firewall_facts.main()
    return json.loads(capsys.readouterr().out)


def test_module_on_a_docker_host_with_a_user_table(monkeypatch, capsys):
    calls = fake_host(monkeypatch, {
        "iptables": (0, "iptables v1.8.9 (nf_tables)\n"), "nft": (0, data("docker_userfw.nft.json")),
        "iptables-save": (0, data("docker.iptables-save")), "ip6tables-save": (0, data("docker.ip6tables-save")),
        "ufw": (0, "Status: inactive\n"), "firewall-cmd": (252, "not running\n")})
    result = run_module(capsys)
    assert result["changed"] is False
    assert (result["nft"], result["iptables"], result["docker_user"]) == (True, "nft", True)
    assert (result["ufw_active"], result["firewalld_running"]) == (False, False)
    assert len(result["chains"]) == 3 + 3 + 2
    # every command is an argv list: nothing goes through a shell
    assert all(isinstance(call, list) for call in calls)


def test_module_on_a_host_with_ufw_and_firewalld_and_no_nft(monkeypatch, capsys):
    fake_host(monkeypatch, {"iptables": (0, "iptables v1.8.7 (legacy)\n"), "iptables-save": (0, ""),
                            "ip6tables-save": (0, ""), "ufw": (0, "Status: active\n\nTo  Action  From\n"),
                            "firewall-cmd": (0, "running\n")})
    result = run_module(capsys)
    assert (result["nft"], result["iptables"], result["ufw_active"], result["firewalld_running"]) == (
        False, "legacy", True, True)


def test_module_on_a_bare_host(monkeypatch, capsys):
    fake_host(monkeypatch, {})
    result = run_module(capsys)
    assert result["chains"] == [] and result["iptables"] is None and result["nft"] is False


def _ruleset(*objects):
    import json
    return json.dumps({"nftables": list(objects)})


def _chain(table, name, hook, policy="accept", family="inet"):
    return {"chain": {"family": family, "table": table, "name": name, "type": "filter", "hook": hook, "prio": 0,
                      "policy": policy}}


def _rule(table, chain, *expr, family="inet"):
    return {"rule": {"family": family, "table": table, "chain": chain, "expr": list(expr)}}


FAIL2BAN_REJECT = _rule("f2b-table", "f2b-chain",
                        {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}},
                        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                                   "right": "@addr-set-sshd"}},
                        {"reject": None})


def test_fail2ban_table_is_a_conditional_drop_not_a_refusal():
    chains = by_name(firewall_facts.parse_nft_ruleset(_ruleset(_chain("f2b-table", "f2b-chain", "input"),
                                                               FAIL2BAN_REJECT)))
    chain = chains["nftables", "inet", "f2b-table", "f2b-chain"]
    assert (chain["drops"], chain["drop_rules"], chain["conditional_drop_rules"]) == (False, 0, 1)


def test_an_unconditional_drop_and_a_drop_behind_a_conditional_jump():
    ruleset = _ruleset(_chain("userfw", "input", "input"), _rule("userfw", "input", {"counter": None}, {"drop": None}),
                       _chain("other", "forward", "forward"),
                       _rule("other", "forward", {"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                                                            "right": "eth9"}}, {"jump": {"target": "deny"}}),
                       _rule("other", "deny", {"drop": None}))
    chains = by_name(firewall_facts.parse_nft_ruleset(ruleset))
    assert chains["nftables", "inet", "userfw", "input"]["drops"] is True
    forward = chains["nftables", "inet", "other", "forward"]
    assert (forward["drops"], forward["conditional_drop_rules"]) == (False, 1)


def test_a_users_own_ip_filter_table_is_read_even_with_iptables_nft():
    ruleset = _ruleset(_chain("filter", "input", "input", policy="drop", family="ip"),
                       _chain("filter", "INPUT", "input", family="ip"))
    chains = by_name(firewall_facts.parse_nft_ruleset(ruleset, "nft"))
    assert ("nftables", "ip", "filter", "input") in chains  # the user's chain
    assert ("nftables", "ip", "filter", "INPUT") not in chains  # iptables-nft's, read through iptables-save
