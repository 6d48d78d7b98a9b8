# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key rotation's plan and outcome (module_utils/rotation.py, filters rotation_plan and rotation_outcome).

A rotation begins now or completes one an earlier run began (the store still holds the previous key); the
preshared keys of every pair with a host rotated now are renewed; a rotation is finished once the host and
all its managed peers were updated.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.rotation_outcome import rotation_outcome
from ansible_collections.wirefleet.wireguard.plugins.filter.rotation_plan import rotation_plan
from ansible_collections.wirefleet.wireguard.plugins.module_utils.converged import host_digest
from ansible_collections.wirefleet.wireguard.plugins.module_utils.rotation import RotationError, outcome, plan

from conftest import fake_key, make_host
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

NETWORKS = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "preshared_keys": True}}
KEYS = {name: {"wg0": fake_key(name)} for name in ("hub", "laptop", "pi", "phone")}


@pytest.fixture(scope="module")
def fleet():
    return build_fleet(NETWORKS, {
        "hub": make_host("wireguard_hubs", endpoint="vpn.example.com"),
        "laptop": make_host("wireguard_clients"),
        "pi": make_host("wireguard_clients"),
        "phone": make_host("wireguard_clients", managed=False),
        "printer": make_host(),  # in no network
    }, KEYS, {})


HUB = {"interface": "wg0", "network": "wg0"}


def test_rotating_the_hub_renews_the_preshared_key_of_each_of_its_pairs(fleet):
    result = plan(fleet, "hub", {})
    assert result["prepare"] == {"hub": [HUB]} and result["switch"] == {"hub": [HUB]}
    assert result["begin"] == ["hub/wg0"] and result["devices"] == [] and result["pending"] == []
    assert result["preshared_keys"] == ["wg0/hub--laptop", "wg0/hub--phone", "wg0/hub--pi"]
    assert result["rotated"] == ["hub"] and result["notes"] == []


def test_rotating_a_client_renews_only_its_own_pair(fleet):
    result = plan(fleet, ["laptop"], {})
    assert result["preshared_keys"] == ["wg0/hub--laptop"] and result["switch"] == {"laptop": [HUB]}


def test_an_unmanaged_device_gets_its_key_from_the_controller(fleet):
    result = plan(fleet, "phone, hub", {})
    assert result["devices"] == ["phone/wg0"] and "phone" not in result["prepare"] and "phone" not in result["switch"]
    assert result["begin"] == ["hub/wg0", "phone/wg0"] and result["rotated"] == ["hub", "phone"]


def test_all_is_every_host_with_an_interface(fleet):
    assert plan(fleet, "all", {})["rotated"] == ["hub", "laptop", "phone", "pi"]


def test_an_unfinished_rotation_is_completed_not_begun_again(fleet):
    store = {"previous_keys": {"hub": {"wg0": fake_key("old hub")}}}
    result = plan(fleet, "hub", store)
    assert result["begin"] == [] and result["prepare"] == {} and result["preshared_keys"] == []
    assert result["pending"] == ["hub/wg0"] and result["switch"] == {"hub": [HUB]}
    assert "completing the rotation" in result["notes"][0]


def test_an_unfinished_rotation_is_completed_whoever_is_named(fleet):
    store = {"previous_keys": {"hub": {"wg0": fake_key("old hub")}, "gone": {"wg0": fake_key("gone")}}}
    result = plan(fleet, "laptop", store)
    assert result["begin"] == ["laptop/wg0"] and result["pending"] == ["hub/wg0"]  # a host no longer there is left
    assert result["switch"] == {"hub": [HUB], "laptop": [HUB]} and result["preshared_keys"] == ["wg0/hub--laptop"]


def test_hosts_in_sync_are_those_whose_converged_record_matches(fleet):
    store = {"converged": {"hub": host_digest(fleet["hosts"]["hub"]), "laptop": "outdated"}}
    assert plan(fleet, "hub", store)["in_sync"] == ["hub"]


@pytest.mark.parametrize("requested, message", [
    ("", "set wireguard_rotate_hosts"),
    ([], "no earlier rotation is unfinished"),
    ("hub,nas", "names nas, which has no WireGuard interface"),
    ("printer", "names printer, which has no WireGuard interface in this fleet (hosts with one: hub, laptop, phone, pi)"),
])
def test_a_request_naming_no_or_unknown_hosts_is_refused(fleet, requested, message):
    with pytest.raises(RotationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(fleet, requested, {})
    with pytest.raises(AnsibleFilterError):
        rotation_plan(fleet, requested, {})


def test_rotation_plan_filter_refuses_what_is_no_fleet():
    with pytest.raises(AnsibleFilterError, match="not a fleet"):
        rotation_plan({"nohosts": 1}, "hub", {})


def test_a_rotation_is_finished_when_the_host_and_every_managed_peer_were_updated(fleet):
    rotation = plan(fleet, "hub", {})
    done = outcome(fleet, rotation, ["hub", "laptop", "pi"])
    assert done["finished"] == ["hub/wg0"] and done["waiting"] == {}
    assert done["lines"] == ["phone: hub's wg0 key changed: load its new config on the device, "
                             "devices/phone/wg0.conf (or its QR code)"]


def test_a_limited_run_leaves_the_rotation_waiting_for_the_peers(fleet):
    rotation = plan(fleet, "hub", {})
    done = rotation_outcome(fleet, rotation, ["hub"])
    assert done["finished"] == [] and done["waiting"] == {"hub/wg0": ["laptop", "pi"]}
    assert "laptop, pi not updated yet: run rotate.yml again" in done["lines"][0]


def test_a_rotated_device_is_told_once_to_load_its_new_config(fleet):
    done = outcome(fleet, plan(fleet, "phone,hub", {}), ["hub", "laptop", "pi"])
    assert done["finished"] == ["hub/wg0", "phone/wg0"]
    assert done["lines"] == ["phone: hub's wg0 key changed: load its new config on the device, "
                             "devices/phone/wg0.conf (or its QR code)"]
    alone = outcome(fleet, plan(fleet, "phone", {}), ["hub"])
    assert alone["lines"] == ["phone: has a new wg0 key: load its new config on the device, "
                              "devices/phone/wg0.conf (or its QR code)"]


def test_no_request_completes_what_is_unfinished_or_with_required_false_plans_nothing(fleet):
    store = {"previous_keys": {"hub": {"wg0": fake_key("old hub")}}}
    assert plan(fleet, "", store)["pending"] == ["hub/wg0"]
    nothing = plan(fleet, None, {}, required=False)
    assert nothing["rotated"] == [] and nothing["switch"] == {} and nothing["begin"] == []


def test_a_host_not_reached_begins_no_rotation_and_keeps_its_preshared_keys(fleet):
    result = plan(fleet, "hub,laptop,phone", {}, reached=["hub", "pi"])
    assert result["begin"] == ["hub/wg0", "phone/wg0"] and "laptop" not in result["switch"]
    assert result["preshared_keys"] == ["wg0/hub--laptop", "wg0/hub--phone", "wg0/hub--pi"]  # the hub's pairs
    alone = rotation_plan(fleet, "laptop", {}, reached=["hub"], required=False)
    assert alone["begin"] == [] and alone["preshared_keys"] == []
    assert alone["not_reached"] == ["laptop: not reached, so its wg0 key is not rotated; run rotate.yml again for it"]
