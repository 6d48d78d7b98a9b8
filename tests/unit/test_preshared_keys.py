# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preshared keys in the controller store: the store_keys module makes each one once (0600) and never
again, and the preshared_keys lookup hands both ends of a pair the same key.

This is the path the keys role takes: fleet | controller_keys -> store_keys -> lookup per host.
"""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
import yaml
from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.filter.controller_keys import controller_keys
from ansible_collections.wirefleet.wireguard.plugins.lookup import preshared_keys
from ansible_collections.wirefleet.wireguard.plugins.modules import store_keys

NAME = "wirefleet.wireguard.preshared_keys"


@pytest.fixture(scope="module")
def lookup():
    """The lookup with its options defined from its DOCUMENTATION, as Ansible's plugin loader does.

    (The loader itself cannot be used here: the tests import ansible_collections as a plain namespace
    package, which Ansible's collection finder refuses to take over.)
    """
    options = yaml.safe_load(preshared_keys.DOCUMENTATION)["options"]
    C.config.initialize_plugin_configuration_definitions("lookup", NAME, options)
    plugin = preshared_keys.LookupModule()
    plugin._load_name = NAME

    def run(store, *ids):
        result = plugin.run(list(ids), variables={}, store=str(store))
        assert len(result) == 1
        return result[0]
    return run


@pytest.fixture
def make_keys(capsys):
    """Run store_keys like Ansible does; returns its result."""
    def run(store, ids, check_mode=False):
        args = {"store": str(store), "preshared_key_ids": list(ids), "_ansible_check_mode": check_mode}
        with patch_module_args(args), pytest.raises(SystemExit) as info:
            store_keys.main()
        result = json.loads(capsys.readouterr().out)
        assert info.value.code == 0, result
        return result
    return run


@pytest.fixture(scope="module")
def fleet(build, hub, client):
    return build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "preshared_keys": True}},
                 {"vps": hub(endpoint="vps.example.com"), "laptop": client(), "phone": client(managed=False)})


def psk_file(store, psk_id):
    return store / "psk" / (psk_id + ".psk")


def test_store_keys_makes_each_key_once_with_mode_0600(tmp_path, fleet, make_keys):
    ids = controller_keys(fleet)["preshared_keys"]
    assert ids == ["wg0/laptop--vps", "wg0/phone--vps"]
    result = make_keys(tmp_path, ids)
    assert result["changed"] is True
    assert result["created_preshared_keys"] == ids
    for psk_id in ids:
        path = psk_file(tmp_path, psk_id)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        text = path.read_text(encoding="ascii")
        assert text.endswith("\n") and len(base64.b64decode(text.strip(), validate=True)) == 32
    assert stat.S_IMODE(os.stat(tmp_path / "psk" / "wg0").st_mode) == 0o700
    assert psk_file(tmp_path, ids[0]).read_text() != psk_file(tmp_path, ids[1]).read_text()


def test_store_keys_never_regenerates(tmp_path, fleet, make_keys):
    ids = controller_keys(fleet)["preshared_keys"]
    make_keys(tmp_path, ids[:1])
    first = psk_file(tmp_path, ids[0]).read_bytes()
    again = make_keys(tmp_path, ids)
    assert again["created_preshared_keys"] == ids[1:]
    assert psk_file(tmp_path, ids[0]).read_bytes() == first
    third = make_keys(tmp_path, ids)
    assert third["changed"] is False and third["created_preshared_keys"] == []
    assert psk_file(tmp_path, ids[0]).read_bytes() == first


def test_store_keys_keeps_a_key_someone_put_there(tmp_path, make_keys, wg_key):
    path = psk_file(tmp_path, "wg0/laptop--vps")
    path.parent.mkdir(parents=True)
    path.write_text(wg_key("handmade") + "\n")
    assert make_keys(tmp_path, ["wg0/laptop--vps"])["changed"] is False
    assert path.read_text() == wg_key("handmade") + "\n"


def test_store_keys_in_check_mode_writes_nothing(tmp_path, fleet, make_keys):
    result = make_keys(tmp_path, controller_keys(fleet)["preshared_keys"], check_mode=True)
    assert result["changed"] is True and len(result["created_preshared_keys"]) == 2
    assert not (tmp_path / "psk").exists()


def test_both_ends_of_a_pair_read_the_same_key(tmp_path, fleet, make_keys, lookup):
    make_keys(tmp_path, controller_keys(fleet)["preshared_keys"])
    hub_keys = lookup(tmp_path, *controller_keys(fleet, host="vps")["preshared_keys"])
    laptop_keys = lookup(tmp_path, *controller_keys(fleet, host="laptop")["preshared_keys"])
    stored = psk_file(tmp_path, "wg0/laptop--vps").read_text().strip()
    assert laptop_keys == {"wg0/laptop--vps": stored}
    assert hub_keys == {"wg0/laptop--vps": stored, "wg0/phone--vps": psk_file(tmp_path, "wg0/phone--vps").read_text().strip()}


def test_lookup_leaves_out_keys_not_made_yet(tmp_path, lookup, make_keys):
    make_keys(tmp_path, ["wg0/laptop--vps"])
    assert list(lookup(tmp_path, "wg0/laptop--vps", "wg0/phone--vps")) == ["wg0/laptop--vps"]
    assert lookup(tmp_path / "no-store-yet", "wg0/laptop--vps") == {}


def test_lookup_never_writes(tmp_path, lookup):
    lookup(tmp_path, "wg0/laptop--vps")
    assert os.listdir(tmp_path) == []


def test_lookup_skips_an_empty_key_file(tmp_path, lookup):
    path = psk_file(tmp_path, "wg0/laptop--vps")
    path.parent.mkdir(parents=True)
    path.write_text("\n")
    assert lookup(tmp_path, "wg0/laptop--vps") == {}


@pytest.mark.parametrize("bad", ["wg0", "../../etc/passwd", "wg0/a/b", "wg0/a b", "", "/abs"])
def test_lookup_refuses_what_is_not_a_preshared_key_id(tmp_path, lookup, bad):
    with pytest.raises(AnsibleLookupError, match="is not a preshared key id"):
        lookup(tmp_path, bad)


def test_lookup_reports_an_unreadable_key(tmp_path, lookup):
    path = psk_file(tmp_path, "wg0/laptop--vps")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(AnsibleLookupError, match="cannot read"):
        lookup(tmp_path, "wg0/laptop--vps")
