# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wg_existing on a temp /etc/wireguard with `wg pubkey` and systemctl faked: what adopting reads, and that no
private or preshared key (nor key-shaped text in a hook) leaves the host."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.modules import wg_existing

from conftest import fake_key

PRIVATE, PSK, PEER = fake_key("private"), fake_key("psk"), fake_key("peer")


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    def run_command(self, args, data=None, **_kwargs):
        if args[-1] == "pubkey":
            return 0, fake_key("public of " + data) + "\n", ""
        return (0 if "wg0" in args[-1] else 3), "", ""  # systemctl is-active: wg0 active, others not
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name)

    def call():
        with patch_module_args({"config_dir": str(tmp_path)}), pytest.raises(SystemExit):
            wg_existing.main()
        return json.loads(capsys.readouterr().out)
    return call


def test_reads_what_adopting_needs_and_no_secret(run, tmp_path):
    (tmp_path / "wg0.conf").write_text(
        "[Interface]\nAddress = 10.0.0.1/24\nListenPort = 51820\nPrivateKey = %s\n"
        "PostUp = wg set %%i private-key <(echo %s); iptables -A FORWARD -i %%i -j ACCEPT\n\n"
        "# laptop\n[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.0.0.2/32\n" % (PRIVATE, PRIVATE, PEER, PSK))
    (tmp_path / "wg1.conf").write_text("# %s: Written by wirefleet.wireguard; local edits are overwritten.\n[Interface]\n")
    (tmp_path / "bad name!.conf").write_text("[Interface]\n")
    result = run()
    out = json.dumps(result)
    assert PRIVATE not in out and PSK not in out
    wg0, wg1 = result["interfaces"]
    assert wg0["name"] == "wg0" and wg0["public_key"] == fake_key("public of " + PRIVATE) and wg0["active"]
    assert wg0["interface"]["address"] == ["10.0.0.1/24"] and "privatekey" not in wg0["interface"]
    assert "<key hidden>" in wg0["interface"]["postup"][0] and "iptables -A FORWARD" in wg0["interface"]["postup"][0]
    assert wg0["peers"] == [{"settings": {"publickey": [PEER], "presharedkey": ["present"],
                                          "allowedips": ["10.0.0.2/32"]}, "name": "laptop"}]
    assert wg1["wirefleet"] and not wg1["active"] and wg1["public_key"] is None
    assert not result["changed"]
