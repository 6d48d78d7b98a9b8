"""The example inventories of inventories/, read with Ansible's own inventory and variable managers
(as ansible-playbook reads them) and computed by the fleet filter."""

from __future__ import annotations

import os

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from ansible_collections.wirefleet.wireguard.plugins.filter.fleet import fleet

INVENTORIES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "inventories"))


def names():
    return sorted(n for n in os.listdir(INVENTORIES) if os.path.isdir(os.path.join(INVENTORIES, n)))


def _read(name):
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(INVENTORIES, name)])
    variables = VariableManager(loader=loader, inventory=inventory)
    return inventory, {host.name: variables.get_vars(host=host) for host in inventory.get_hosts()}


def hostvars(name):
    """{host: variables} of an example inventory, as ansible-playbook sees them."""
    return _read(name)[1]


def compute(name, store=None):
    inventory, variables = _read(name)
    networks = next(iter(variables.values()))["wireguard_networks"]
    return fleet(networks, variables, inventory.get_groups_dict(), store)
