# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wg_key module in a temp directory, with `wg genkey` / `wg pubkey` faked: a key is made once, never
regenerated, a supplied key replaces it, and a hand-made config's PrivateKey is kept (adopting a network)."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.modules import wg_key

from conftest import fake_key


@pytest.fixture
def wg(monkeypatch):
    calls = []

    def run_command(self, args, data=None, **_kwargs):
        calls.append(args[1:])
        if args[1] == "genkey":
            return 0, fake_key("generated %d" % len(calls)) + "\n", ""
        return 0, fake_key("public of " + data) + "\n", ""
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name)
    return calls


@pytest.fixture
def run(tmp_path, capsys, wg):
    def call(check_mode=False, **extra):
        args = {"path": str(tmp_path / "wg0.key"), "_ansible_check_mode": check_mode}
        args.update(extra)
        with patch_module_args(args), pytest.raises(SystemExit):
            wg_key.main()
        return json.loads(capsys.readouterr().out)
    return call


def test_made_once_0600_and_never_again(run, tmp_path, wg):
    first = run()
    assert first["created"] and first["changed"] and not first["adopted"]
    key_file = tmp_path / "wg0.key"
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    made = key_file.read_text()
    second = run()
    assert not second["changed"] and second["public_key"] == first["public_key"]
    assert key_file.read_text() == made
    assert [call[0] for call in wg].count("genkey") == 1
    assert made.strip() not in json.dumps(first) + json.dumps(second)


def test_a_hand_made_configs_key_is_kept(run, tmp_path, wg):
    in_use = fake_key("hand-made")
    (tmp_path / "wg0.conf").write_text("[Interface]\nAddress = 10.0.0.2/24\nPrivateKey = %s\n" % in_use)
    result = run(in_use_config=str(tmp_path / "wg0.conf"))
    assert result["adopted"] and result["created"]
    assert (tmp_path / "wg0.key").read_text() == in_use + "\n"
    assert result["public_key"] == fake_key("public of " + in_use)
    assert "genkey" not in [call[0] for call in wg]
    # once the key file exists it is the key, whatever the config says later
    (tmp_path / "wg0.conf").write_text("[Interface]\nPrivateKey = %s\n" % fake_key("other"))
    assert not run(in_use_config=str(tmp_path / "wg0.conf"))["changed"]
    assert (tmp_path / "wg0.key").read_text() == in_use + "\n"


@pytest.mark.parametrize("config", [None, "[Interface]\nAddress = 10.0.0.2/24\n", "[Interface]\nPrivateKey = nope\n",
                                    "[Interface]\nPrivateKey = %s\nPrivateKey = %s\n" % (fake_key(1), fake_key(2))])
def test_no_usable_key_in_the_config_makes_a_new_one(run, tmp_path, wg, config):
    if config is not None:
        (tmp_path / "wg0.conf").write_text(config)
    result = run(in_use_config=str(tmp_path / "wg0.conf"))
    assert result["created"] and not result["adopted"]
    assert [call[0] for call in wg].count("genkey") == 1


def test_check_mode_shows_the_adopted_public_key_and_writes_nothing(run, tmp_path):
    in_use = fake_key("hand-made")
    (tmp_path / "wg0.conf").write_text("[Interface]\nPrivateKey = %s\n" % in_use)
    result = run(check_mode=True, in_use_config=str(tmp_path / "wg0.conf"))
    assert result["changed"] and result["public_key"] == fake_key("public of " + in_use)
    assert not (tmp_path / "wg0.key").exists()


def test_a_supplied_key_wins_over_the_config(run, tmp_path):
    (tmp_path / "wg0.conf").write_text("[Interface]\nPrivateKey = %s\n" % fake_key("hand-made"))
    result = run(private_key=fake_key("vaulted"), in_use_config=str(tmp_path / "wg0.conf"))
    assert not result["adopted"]
    assert (tmp_path / "wg0.key").read_text() == fake_key("vaulted") + "\n"
