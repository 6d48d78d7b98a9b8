# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet filter reads the inventory as Ansible gives it: real InventoryManager/VariableManager on temp inventories.

Plan mode (render.yml, a play on localhost) and converge (site.yml, a play on the fleet) must compute from the same
networks and fail the same way; a broken template in a wirefleet variable names host and variable.
"""

from __future__ import annotations

import textwrap

import pytest
from ansible.errors import AnsibleFilterError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.wirefleet.wireguard.plugins.filter.fleet import fleet

HOSTS = """
all:
  children:
    wireguard_hubs:
      hosts:
        vps:
          wireguard_endpoint: vps.example.com
    wireguard_clients:
      hosts:
        laptop: {}
"""
NETWORKS = "wireguard_networks:\n  wg0: {ipv4: 10.8.0.0/24, port: 51820}\n"


def _inventory(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(tmp_path)])
    variables = VariableManager(loader=loader, inventory=inventory)
    return inventory, HostVars(inventory=inventory, variable_manager=variables, loader=loader), variables, loader


def _compute_as_play_host(tmp_path, files, play_host):
    """What compute_fleet.yml does: the play host's wireguard_networks, the inventory's hostvars and groups."""
    inventory, hostvars, variables, loader = _inventory(tmp_path, files)
    if play_host == "localhost":
        own = variables.get_vars()
    else:
        own = variables.get_vars(host=inventory.get_host(play_host))
    networks = Templar(loader=loader, variables=own).template(own.get("wireguard_networks", {}))
    return fleet(networks, hostvars, inventory.get_groups_dict())


@pytest.mark.parametrize("play_host", ["localhost", "vps", "laptop"])
def test_networks_in_group_vars_all_compute_the_same_everywhere(tmp_path, play_host):
    result = _compute_as_play_host(tmp_path, {"hosts.yml": HOSTS, "group_vars/all.yml": NETWORKS}, play_host)
    assert sorted(result["hosts"]) == ["laptop", "vps"]


@pytest.mark.parametrize("play_host", ["localhost", "vps", "laptop"])
def test_networks_for_one_group_only_fail_the_same_everywhere(tmp_path, play_host):
    files = {"hosts.yml": HOSTS, "group_vars/wireguard_hubs.yml": NETWORKS}
    with pytest.raises(AnsibleFilterError) as info:
        _compute_as_play_host(tmp_path, files, play_host)
    assert "host 'laptop', variable 'wireguard_networks': is not defined for this host but is for 'vps'" in str(info.value)


def test_networks_that_differ_between_hosts(tmp_path):
    files = {"hosts.yml": HOSTS, "group_vars/all.yml": NETWORKS,
             "group_vars/wireguard_clients.yml": "wireguard_networks:\n  wg0: {ipv4: 10.9.0.0/24, port: 51820}\n"}
    with pytest.raises(AnsibleFilterError) as info:
        _compute_as_play_host(tmp_path, files, "vps")
    assert "host 'vps', variable 'wireguard_networks': differs from the value host 'laptop' sees" in str(info.value)


def test_undefined_variable_in_a_wirefleet_variable_names_host_and_variable(tmp_path):
    files = {"hosts.yml": HOSTS, "group_vars/all.yml": NETWORKS,
             "host_vars/laptop.yml": "wireguard_dns: \"{{ resolver_of_the_lab }}\"\n"}
    with pytest.raises(AnsibleFilterError) as info:
        _compute_as_play_host(tmp_path, files, "vps")
    message = str(info.value)
    assert "host 'laptop', variable 'wireguard_dns': cannot be rendered" in message
    assert "resolver_of_the_lab" in message


def test_host_in_no_role_with_a_model_variable_is_a_warning(tmp_path):
    files = {"hosts.yml": HOSTS + "    phones:\n      hosts:\n        phone:\n          wireguard_managed: false\n",
             "group_vars/all.yml": NETWORKS}
    result = _compute_as_play_host(tmp_path, files, "vps")
    assert any(w.startswith("host 'phone' sets wirefleet variables (wireguard_managed)") for w in result["warnings"])


def test_hosts_without_wirefleet_variables_are_left_alone(tmp_path):
    files = {"hosts.yml": HOSTS + "    databases:\n      hosts:\n        db1: {ansible_host: 198.18.99.50}\n",
             "group_vars/all.yml": NETWORKS + "wireguard_install_cache_valid_time: 3600\n"}
    result = _compute_as_play_host(tmp_path, files, "vps")
    assert result["warnings"] == []
    assert "db1" not in result["hosts"]
