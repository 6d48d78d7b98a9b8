# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller_keys filter: which preshared keys and device keys the controller must keep."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.controller_keys import FilterModule, controller_keys


@pytest.fixture(scope="module")
def fleet(build, hub, client, mesh, wg_key):
    networks = {
        "wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "preshared_keys": True, "group": "road"},
        "lab": {"ipv4": "10.7.0.0/24", "port": 51821, "preshared_keys": True, "group": "lab"},
        "plain": {"ipv4": "10.6.0.0/24", "port": 51822, "group": "plain"},
    }
    hosts = {
        "vps": hub("road", "plain", endpoint="vps.example.com", roles={"wg0": "hub", "lab": "mesh", "plain": "hub"}),
        "laptop": client("road", "plain"),                                        # managed: its key is made on it
        "phone": client("road", managed=False),                                   # unmanaged, no key yet
        "tablet": client("road", managed=False, public_key=wg_key("tablet")),     # unmanaged, key from the inventory
        "nas": mesh("lab", endpoint="nas.example.com"),
    }
    hosts["vps"]["groups"].append("lab")
    return build(networks, hosts)


def test_every_peer_pair_once_and_devices_without_a_key(fleet):
    assert controller_keys(fleet) == {
        "preshared_keys": ["lab/nas--vps", "wg0/laptop--vps", "wg0/phone--vps", "wg0/tablet--vps"],
        "devices": ["phone/wg0"],
    }


def test_both_ends_of_a_pair_use_the_same_id(fleet):
    for psk_id in controller_keys(fleet)["preshared_keys"]:
        network, pair = psk_id.split("/")
        ends = sorted(host for host in fleet["hosts"] if psk_id in controller_keys(fleet, host=host)["preshared_keys"])
        assert ends == sorted(pair.split("--")), psk_id


@pytest.mark.parametrize("host, expected", [
    ("vps", ["lab/nas--vps", "wg0/laptop--vps", "wg0/phone--vps", "wg0/tablet--vps"]),
    ("laptop", ["wg0/laptop--vps"]),
    ("phone", ["wg0/phone--vps"]),  # an unmanaged device: its key is made by the full run, not per host
    ("nas", ["lab/nas--vps"]),
    ("not-in-the-fleet", []),
])
def test_one_host_gets_only_its_preshared_keys_and_no_devices(fleet, host, expected):
    assert controller_keys(fleet, host=host) == {"preshared_keys": expected, "devices": []}


def test_a_network_without_preshared_keys_contributes_none(fleet):
    plain_peers = [peer for data in fleet["hosts"].values() for name, entry in data["interfaces"].items()
                   if entry["network"] == "plain" for peer in entry["peers"]]
    assert plain_peers and all(peer["preshared_key_id"] is None for peer in plain_peers)
    assert not any(psk.startswith("plain/") for psk in controller_keys(fleet)["preshared_keys"])


def test_a_device_key_in_the_store_is_not_made_again(fleet, wg_key):
    hosts = {name: dict(data) for name, data in fleet["hosts"].items()}
    hosts["phone"]["interfaces"] = {name: dict(entry, public_key=wg_key("phone"))
                                    for name, entry in hosts["phone"]["interfaces"].items()}
    assert controller_keys({"hosts": hosts})["devices"] == []


@pytest.mark.parametrize("bad", [None, {}, {"hosts": {"a": {}}}, {"hosts": {"a": {"interfaces": {"wg0": {"peers": [None]}}}}}])
def test_not_a_fleet(bad):
    with pytest.raises(AnsibleFilterError, match="controller_keys: input is not a fleet"):
        controller_keys(bad)


def test_registered():
    assert FilterModule().filters() == {"controller_keys": controller_keys}
