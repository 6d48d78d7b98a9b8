# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""store_rotation in a temp store: new preshared and device keys, the previous key recorded once, forgotten at the end."""

from __future__ import annotations

import json
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key, new_private_key, public_key
from ansible_collections.wirefleet.wireguard.plugins.module_utils.store import read_previous_keys, read_public_keys, read_store
from ansible_collections.wirefleet.wireguard.plugins.modules import store_rotation

from conftest import fake_key


@pytest.fixture
def store(tmp_path):
    for host in ("hub", "laptop"):
        (tmp_path / "public" / host).mkdir(parents=True)
        (tmp_path / "public" / host / "wg0.pub").write_text(fake_key(host) + "\n")
    (tmp_path / "private" / "phone").mkdir(parents=True)
    phone = new_private_key()
    (tmp_path / "private" / "phone" / "wg0.key").write_text(phone + "\n")
    (tmp_path / "public" / "phone").mkdir()
    (tmp_path / "public" / "phone" / "wg0.pub").write_text(public_key(phone) + "\n")
    (tmp_path / "psk" / "wg0").mkdir(parents=True)
    (tmp_path / "psk" / "wg0" / "hub--laptop.psk").write_text(fake_key("psk") + "\n")
    return tmp_path


@pytest.fixture
def run(store, capsys):
    def call(check_mode=False, **extra):
        args = {"store": str(store), "_ansible_check_mode": check_mode}
        args.update(extra)
        with patch_module_args(args), pytest.raises(SystemExit):
            store_rotation.main()
        return json.loads(capsys.readouterr().out)
    return call


def test_begin_records_the_previous_key_once_and_renews_keys(run, store):
    old_phone = read_public_keys(str(store))["phone"]["wg0"]
    result = run(begin=["hub/wg0", "phone/wg0"], devices=["phone/wg0"], preshared_key_ids=["wg0/hub--laptop", "wg0/hub--phone"])
    assert result["changed"] and result["begun"] == ["hub/wg0", "phone/wg0"]
    assert read_previous_keys(str(store)) == {"hub": {"wg0": fake_key("hub")}, "phone": {"wg0": old_phone}}
    new_phone = (store / "private" / "phone" / "wg0.key").read_text().strip()
    assert is_key(new_phone) and public_key(new_phone) == read_public_keys(str(store))["phone"]["wg0"] != old_phone
    psk = (store / "psk" / "wg0" / "hub--laptop.psk").read_text().strip()
    assert is_key(psk) and psk != fake_key("psk") and (store / "psk" / "wg0" / "hub--phone.psk").exists()
    for path in ("private/phone/wg0.key", "psk/wg0/hub--laptop.psk"):
        assert stat.S_IMODE((store / path).stat().st_mode) == 0o600, path
    assert psk not in json.dumps(result) and new_phone not in json.dumps(result)
    # An interrupted rotation keeps the key it began with.
    (store / "public" / "hub" / "wg0.pub").write_text(fake_key("new hub") + "\n")
    again = run(begin=["hub/wg0"])
    assert again["begun"] == [] and not again["changed"]
    assert read_store(str(store))["previous_keys"]["hub"] == {"wg0": fake_key("hub")}


def test_finish_forgets_the_previous_key(run, store):
    run(begin=["hub/wg0"])
    result = run(finish=["hub/wg0", "laptop/wg0"])
    assert result["finished"] == ["hub/wg0"] and result["changed"]
    assert read_previous_keys(str(store)) == {} and not (store / "previous" / "hub").exists()
    assert not run(finish=["hub/wg0"])["changed"]


def test_check_mode_writes_nothing(run, store):
    result = run(check_mode=True, begin=["hub/wg0"], devices=["phone/wg0"], preshared_key_ids=["wg0/hub--laptop"])
    assert result["changed"] and result["begun"] == ["hub/wg0"]
    assert not (store / "previous").exists()
    assert (store / "psk" / "wg0" / "hub--laptop.psk").read_text().strip() == fake_key("psk")


def test_a_host_never_recorded_begins_nothing(run, store):
    assert run(begin=["newbie/wg0"])["begun"] == []


@pytest.mark.parametrize("args", [{"begin": ["../x/wg0"]}, {"finish": ["hub"]}, {"preshared_key_ids": ["wg0/../../x"]}])
def test_names_that_could_leave_the_store_are_refused(run, store, args):
    result = run(**args)
    assert result["failed"] and "store_rotation:" in result["msg"]


def test_public_keys_are_recorded_and_checked(run, store):
    (store / "public" / "laptop" / "wg0.pub").write_text(fake_key("laptop"))
    result = run(public_keys={"hub/wg0": fake_key("new hub"), "laptop/wg0": fake_key("laptop")})
    assert result["public_keys_written"] == ["hub/wg0"] and result["changed"]
    assert (store / "public" / "hub" / "wg0.pub").read_text() == fake_key("new hub")  # as the keys role writes it
    assert not run(public_keys={"hub/wg0": fake_key("new hub")})["changed"]
    refused = run(public_keys={"hub/wg0": "not a key"})
    assert refused["failed"] and "not a WireGuard key" in refused["msg"]
