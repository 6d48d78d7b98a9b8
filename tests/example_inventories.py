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


def compute(name, store=None):
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(INVENTORIES, name)])
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = {host.name: variables.get_vars(host=host) for host in inventory.get_hosts()}
    networks = next(iter(hostvars.values()))["wireguard_networks"]
    return fleet(networks, hostvars, inventory.get_groups_dict(), store)
