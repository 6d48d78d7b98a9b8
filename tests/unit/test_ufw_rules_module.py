# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ufw_rules module on a copy of the captured hub's /etc/ufw (data/ufw), with the commands faked."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.modules import ufw_rules

DATA = os.path.join(os.path.dirname(__file__), "data", "ufw")
SYSTEM = {
    "listen": [{"interface": "wg0", "port": 51820, "sources": ["198.18.120.11", "198.18.120.12"]}],
    "forwarding": [{"interface": "wg0", "between_peers": True, "to_uplink": True}],
    "nat": [{"interface": "wg0", "source": "198.18.122.0/24"}],
}
LIVE_NAT = ('-N WIREFLEET-UFW-NAT\n-A WIREFLEET-UFW-NAT -s 198.18.122.0/24 -o eth0 -m comment --comment '
            '"wirefleet: wg0: NAT 198.18.122.0/24 out of eth0" -j MASQUERADE\n')


@pytest.fixture(name="etc")
def fixture_etc(tmp_path):
    for name in ("user.rules", "user6.rules", "before.rules", "before.init"):
        shutil.copy(os.path.join(DATA, "hub." + name), tmp_path / name)
    os.chmod(tmp_path / "before.init", 0o750)
    (tmp_path / "default").write_text('IPV6=yes\nDEFAULT_FORWARD_POLICY="DROP"\n')
    return tmp_path


def fake_host(monkeypatch, live_nat=LIVE_NAT):
    calls, deleted = [], []

    def run_command(self, args, **_kwargs):
        calls.append(list(args))
        if args[0] == "/usr/sbin/ufw" and args[1:] == ["status"]:
            return 0, "Status: active\n", ""
        if args[:5] == ["/usr/sbin/iptables", "-w", "-t", "nat", "-S"]:
            if args[5] == "POSTROUTING":
                return 0, "-P POSTROUTING ACCEPT\n-A POSTROUTING -j WIREFLEET-UFW-NAT\n", ""
            return (0, live_nat, "") if live_nat else (1, "", "No chain")
        if args[:5] == ["/usr/sbin/ip6tables", "-w", "-t", "nat", "-S"]:
            return 1, "", "No chain"
        if "-D" in args:
            deleted.append(args)
            return (0, "", "") if len(deleted) == 1 else (1, "", "Bad rule")
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)
    return calls


def run(capsys, etc, check_mode=False, **args):
    args = dict({"rules_dir": str(etc), "defaults_file": str(etc / "default"), "system": SYSTEM,
                 "default_interface": "eth0", "_ansible_check_mode": check_mode, "_ansible_diff": True}, **args)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            ufw_rules.main()
    return json.loads(capsys.readouterr().out)


def changing(calls):
    """The commands that change something (everything but status and listings)."""
    return [call for call in calls if call[1:] != ["status"] and "-S" not in call]


def test_nothing_to_do_on_the_converged_hub(monkeypatch, capsys, etc):
    calls = fake_host(monkeypatch)
    result = run(capsys, etc)
    assert result["changed"] is False and result["reloaded"] is False, result
    assert changing(calls) == []


def test_a_deleted_rule_is_put_back_in_order_and_check_mode_changes_nothing(monkeypatch, capsys, etc):
    text = (etc / "user.rules").read_text()
    (etc / "user.rules").write_text(text.replace("### tuple ### allow udp 51820 0.0.0.0/0 any 198.18.120.12", "#"))
    calls = fake_host(monkeypatch)
    result = run(capsys, etc, check_mode=True)
    assert result["changed"] is True and changing(calls) == []
    assert result["added"][0].startswith("ufw allow proto udp from 198.18.120.12 to any port 51820 comment")
    assert "+allow proto udp from 198.18.120.12" in "".join(
        "+" + line for line in result["diff"][0]["after"].splitlines(True) if line not in result["diff"][0]["before"])
    calls = fake_host(monkeypatch)
    result = run(capsys, etc)
    ufw_calls = [call[1:] for call in changing(calls)]
    assert ufw_calls[0] == ["delete", "deny", "in", "proto", "udp", "from", "any", "to", "any", "port", "51820"]
    assert ufw_calls[-4][:6] == ["allow", "proto", "udp", "from", "198.18.120.12", "to"]
    assert ["reload"] not in ufw_calls  # the rules apply live through the ufw command


def test_a_flushed_nat_chain_is_reloaded(monkeypatch, capsys, etc):
    calls = fake_host(monkeypatch, live_nat="-N WIREFLEET-UFW-NAT\n")
    result = run(capsys, etc)
    assert result["changed"] is True and result["reloaded"] is True
    assert [call[1:] for call in changing(calls)] == [["reload"]]


def test_absent_removes_every_rule_of_ours_and_both_blocks(monkeypatch, capsys, etc):
    calls = fake_host(monkeypatch)
    result = run(capsys, etc, state="absent", system={})
    assert result["changed"] is True and len(result["deleted"]) == 8
    assert "wirefleet" not in (etc / "before.rules").read_text() + (etc / "before.init").read_text()
    ufw_calls = [call[1:] for call in changing(calls) if call[0] == "/usr/sbin/ufw"]
    assert len(ufw_calls) == 9 and ufw_calls[-1] == ["reload"]
    assert all("22" not in call for call in ufw_calls)
    assert ["-w", "-t", "nat", "-X", "WIREFLEET-UFW-NAT"] in [call[1:] for call in calls]


def test_absent_without_ufw_is_nothing(monkeypatch, capsys, etc):
    fake_host(monkeypatch)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    result = run(capsys, etc, state="absent", system={})
    assert result["changed"] is False
