# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wg_key's next key (rotation) in a temp directory, with `wg genkey` and `wg pubkey` done in Python.

prepare makes <path>.next once and reuses it (an interrupted rotation goes on with the same key), switch
renames it over the current key and is a no-op when an earlier run switched already.
"""

from __future__ import annotations

import json
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import new_private_key, public_key
from ansible_collections.wirefleet.wireguard.plugins.modules import wg_key


@pytest.fixture
def wg(monkeypatch):
    """Fake `wg`: genkey makes a real key, pubkey computes it; every call is recorded."""
    calls = []

    def run_command(self, args, data=None, **_kwargs):
        calls.append(args[1])
        if args[1] == "genkey":
            return 0, new_private_key() + "\n", ""
        return 0, public_key(data.strip()) + "\n", ""
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


@pytest.fixture
def current(tmp_path):
    key = new_private_key()
    (tmp_path / "wg0.key").write_text(key + "\n")
    return key


def test_prepare_makes_the_next_key_once_and_reuses_it(run, tmp_path, current):
    first = run(next_key="prepare")
    upcoming = (tmp_path / "wg0.key.next").read_text().strip()
    assert first["changed"] and first["created"]
    assert first["next_public_key"] == public_key(upcoming)
    assert first["public_key"] == public_key(current)
    assert stat.S_IMODE((tmp_path / "wg0.key.next").stat().st_mode) == 0o600
    again = run(next_key="prepare")  # the run after an interrupted one
    assert not again["changed"] and again["next_public_key"] == first["next_public_key"]
    assert (tmp_path / "wg0.key").read_text().strip() == current  # the current key is untouched
    assert upcoming not in json.dumps(first) and current not in json.dumps(first)  # no private key in the result


def test_prepare_in_check_mode_writes_nothing(run, tmp_path, current, wg):
    result = run(next_key="prepare", check_mode=True)
    assert result["changed"] and result["next_public_key"] is None
    assert not (tmp_path / "wg0.key.next").exists() and "genkey" not in wg


def test_switch_renames_the_next_key_over_the_current_one(run, tmp_path, current):
    prepared = run(next_key="prepare")
    switched = run(next_key="switch")
    assert switched["changed"] and switched["switched"]
    assert switched["public_key"] == prepared["next_public_key"]
    assert not (tmp_path / "wg0.key.next").exists()
    assert stat.S_IMODE((tmp_path / "wg0.key").stat().st_mode) == 0o600
    assert public_key((tmp_path / "wg0.key").read_text().strip()) == prepared["next_public_key"]


def test_switch_after_an_earlier_switch_changes_nothing(run, current):
    result = run(next_key="switch")
    assert not result["changed"] and not result["switched"]
    assert result["public_key"] == public_key(current)


def test_switch_in_check_mode_keeps_both_files(run, tmp_path, current):
    run(next_key="prepare")
    result = run(next_key="switch", check_mode=True)
    assert result["changed"] and result["switched"]
    assert (tmp_path / "wg0.key.next").exists() and (tmp_path / "wg0.key").read_text().strip() == current


def test_a_next_file_without_a_key_is_refused(run, tmp_path, current):
    (tmp_path / "wg0.key.next").write_text("not a key\n")
    result = run(next_key="switch")
    assert result["failed"] and "wg0.key.next exists but does not hold a WireGuard key" in result["msg"]
    assert (tmp_path / "wg0.key").read_text().strip() == current


def test_next_key_and_private_key_exclude_each_other(run, current):
    result = run(next_key="prepare", private_key=new_private_key())
    assert result["failed"] and "mutually exclusive" in result["msg"]
