# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device_configs module (configs and QR codes of unmanaged devices on the controller): names are
checked before any store path is built from them, a value that could end a line fails naming device and
interface with nothing written, and the config says where the private key really is."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.modules import device_configs

from conftest import fake_key
from test_render_safety import interface_entry


@pytest.fixture
def run(tmp_path, capsys):
    def call(devices, qr=False):
        args = {"dest": str(tmp_path / "devices"), "store": str(tmp_path / "store"), "devices": devices, "qr": qr}
        with patch_module_args(args), pytest.raises(SystemExit):
            device_configs.main()
        return json.loads(capsys.readouterr().out)
    return call


def phone(**changes):
    entry = interface_entry()
    entry.pop("public_key")
    entry.update(changes)
    return {"managed": False, "interfaces": {"home0": entry}}


def test_a_device_without_a_key_yet_says_where_the_keys_role_puts_it(run, tmp_path):
    result = run({"phone": phone()})
    assert not result.get("failed"), result
    text = (tmp_path / "devices" / "phone" / "home0.conf").read_text()
    assert "# PrivateKey: not made yet; the keys role makes it in the controller store (private/phone/home.key)" \
        in text.splitlines()
    assert "generated on" not in text


def test_a_device_key_from_the_store_is_written(run, tmp_path):
    key_file = tmp_path / "store" / "private" / "phone" / "home.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(fake_key("phone private") + "\n")
    result = run({"phone": phone()}, qr=True)
    assert result["devices"][0]["private_key"] is True
    text = (tmp_path / "devices" / "phone" / "home0.conf").read_text()
    assert "PrivateKey = %s" % fake_key("phone private") in text.splitlines()


def test_a_device_with_its_own_key_is_told_to_add_it(run, tmp_path):
    result = run({"phone": phone(public_key=fake_key("made on the phone"))})
    assert not result.get("failed"), result
    text = (tmp_path / "devices" / "phone" / "home0.conf").read_text()
    assert "# PrivateKey: the device's own key, not in the controller store (private/phone/home.key); add it here" \
        in text.splitlines()


@pytest.mark.parametrize("devices, fragment", [
    ({"../phone": phone()}, "device name is not a host name"),
    ({"phone\n": phone()}, "device name is not a host name"),
    ({"phone": {"interfaces": {"home0/../x": phone()["interfaces"]["home0"]}}}, "not an interface name"),
    ({"phone": phone(network="../../etc")}, "is not a network name"),
    ({"phone": phone(network="home'\n[Interface]\nPostUp = touch /tmp/x\n#")}, "is not a network name"),
    ({"phone": phone(dns=["10.8.0.1\nPostUp = touch /tmp/x"])}, "dns item 1"),
    ({"phone": phone(role="client\n")}, "role"),
])
def test_a_bad_value_fails_naming_device_and_interface_and_writes_nothing(run, tmp_path, devices, fragment):
    result = run(devices, qr=True)
    assert result["failed"] and fragment in result["msg"], result
    assert result["msg"].startswith("device_configs: device ") and "nothing was written" in result["msg"]
    assert not os.path.exists(tmp_path / "devices")


def test_a_preshared_key_id_that_leaves_the_store_is_refused(run, tmp_path):
    entry = phone()
    entry["interfaces"]["home0"]["peers"][0]["preshared_key_id"] = "../../private/phone/home"
    result = run({"phone": entry})
    assert result["failed"] and "preshared_key_id" in result["msg"]
