# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unknown wirefleet variables are errors with a "did you mean" (plugins/module_utils/vocabulary.py).

Also keeps the vocabulary equal to what the roles declare and set, and to what the example
inventories use, so the Python lists can never drift from the YAML.
"""

from __future__ import annotations

import glob
import os
import re
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.module_utils import vocabulary
from ansible_collections.wirefleet.wireguard.plugins.module_utils.inputs import (
    HOST_VARIABLES,
    PER_NETWORK_KEYS,
    ROLE_GROUPS,
    Collector,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.vocabulary import (
    KNOWN_VARIABLES,
    OTHER_ROLES_VARIABLES,
    check_host_variables,
    check_role_groups,
    is_wirefleet_name,
    sets_host_variables,
)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
WHERE = "host 'vps'"
NETWORKS = ("wg0", "home")


def host_errors(variables, network_names=NETWORKS):
    collector = Collector()
    check_host_variables(collector, "vps", variables, network_names)
    return collector.errors


def group_errors(groups, sets_wirefleet_variables=True, has_role=False):
    collector = Collector()
    check_role_groups(collector, "vps", groups, sets_wirefleet_variables, has_role)
    return collector.errors


def only_error(variables, network_names=NETWORKS):
    """The one error the variables give; checks it names the host and the variable."""
    errors = host_errors(variables, network_names)
    assert len(errors) == 1, "\n".join(map(str, errors))
    error = errors[0]
    assert error.where == WHERE and WHERE in str(error) and "'%s'" % error.variable in str(error)
    return error


def suggestions(message):
    """The names a "did you mean" message offers."""
    match = re.search(r"did you mean (.*)\?$", message)
    return re.findall(r"'([^']+)'", match.group(1)) if match else []


# --- the typos of the issue ------------------------------------------------------------------

@pytest.mark.parametrize("typo, meant", [
    ("wireguard_adress", "wireguard_address"),
    ("wireguard_endpiont", "wireguard_endpoint"),
    ("wireguard_keepalve", "wireguard_keepalive"),
    ("wireguard_full_tunel", "wireguard_full_tunnel"),
    ("wireguard_lan", "wireguard_lans"),
    ("wireguard_role", "wireguard_roles"),
    ("wireguard_pernetwork", "wireguard_per_network"),
    ("wireguard_firewall_backnd", "wireguard_firewall_backend"),
    ("wireguard_install_implemention", "wireguard_install_implementation"),
    ("wireguard_netwroks", "wireguard_networks"),
])
def test_misspelt_variable_is_an_error_with_did_you_mean(typo, meant):
    error = only_error({typo: "x", "wireguard_address": "10.8.0.5"})
    assert error.variable == typo
    assert error.message == "unknown variable; did you mean '%s'?" % meant


@pytest.mark.parametrize("typo", ["wireguad_port", "wirguard_port", "wireguardport", "wiregaurd_port"])
def test_typo_in_the_prefix_itself_is_caught(typo):
    assert suggestions(only_error({typo: 51820}).message) == ["wireguard_port"]


def test_unknown_variable_without_a_close_name_points_to_the_docs():
    error = only_error({"wireguard_something_else_entirely": True})
    assert error.message == "unknown variable (wirefleet's host variables are listed in docs/inventory.md)"


def test_every_unknown_variable_is_reported_once_in_name_order():
    errors = host_errors({"wireguard_mtuu": 1400, "wireguard_adress": "10.8.0.5", "wireguard_dnss": []})
    assert [error.variable for error in errors] == ["wireguard_adress", "wireguard_dnss", "wireguard_mtuu"]


def test_values_of_any_type_are_fine():
    for value in (None, 0, True, [], {}, "", object()):
        assert only_error({"wireguard_adress": value}).variable == "wireguard_adress"


# --- what other WireGuard roles call things ----------------------------------------------------

# The variables of githubixx/ansible-role-wireguard (defaults, README, templates), the most used one.
GITHUBIXX = (
    "wireguard_address", "wireguard_addresses", "wireguard_allowed_ips", "wireguard_endpoint", "wireguard_port",
    "wireguard_persistent_keepalive", "wireguard_dns", "wireguard_fwmark", "wireguard_mtu", "wireguard_table",
    "wireguard_preup", "wireguard_predown", "wireguard_postup", "wireguard_postdown", "wireguard_save_config",
    "wireguard_unmanaged_peers", "wireguard_private_key", "wireguard_preshared_key", "wireguard_interface",
    "wireguard_remote_directory", "wireguard_service_enabled", "wireguard_service_state", "wireguard_conf_owner",
    "wireguard_conf_group", "wireguard_conf_mode", "wireguard_conf_filename", "wireguard_conf_backup",
    "wireguard_interface_restart", "wireguard_flush_handlers", "wireguard_install_kernel_module",
    "wireguard_as_spoke", "wireguard_update_cache", "wireguard_ubuntu_update_cache",
    "wireguard_ubuntu_cache_valid_time", "wireguard_ubuntu_use_netplan", "wireguard_rockylinux8_installation_method",
)
# Names githubixx shares with wirefleet: simply known.
SHARED = {"wireguard_address", "wireguard_endpoint", "wireguard_port", "wireguard_dns", "wireguard_mtu",
          "wireguard_interface"}


def test_githubixx_names_are_ours_or_get_the_wirefleet_way():
    assert {name for name in GITHUBIXX if name in KNOWN_VARIABLES} == SHARED
    assert not host_errors({name: "x" for name in SHARED})
    for name in set(GITHUBIXX) - SHARED:
        assert only_error({name: "x"}).message == OTHER_ROLES_VARIABLES[name]


@pytest.mark.parametrize("name, fragment", [
    ("wireguard_addresses", "one address per family: wireguard_address (IPv4) and wireguard_address6"),
    ("wireguard_persistent_keepalive", "use wireguard_keepalive (or the network's keepalive)"),
    ("wireguard_allowed_ips", "derives AllowedIPs from the topology: put LANs behind a host in wireguard_lans, "
                              "a full tunnel is wireguard_full_tunnel"),
    ("wireguard_postup", "never writes hooks (they run as root)"),
    ("wireguard_preup", "never writes hooks"),
    ("wireguard_predown", "never writes hooks"),
    ("wireguard_postdown", "never writes hooks"),
    ("wireguard_unmanaged_peers", "an inventory host with wireguard_managed: false"),
    ("wireguard_private_key", "private keys are made on their host; give wireguard_public_key for a key you made"),
    ("wireguard_listen_port", "wireguard_port"),
    ("wireguard_hubs", "inventory group, not a variable"),
    ("wireguard_clients", "inventory group, not a variable"),
])
def test_other_roles_names_say_the_wirefleet_way(name, fragment):
    assert fragment in only_error({name: "x"}).message


def test_advice_only_names_variables_and_groups_that_exist():
    for name, advice in OTHER_ROLES_VARIABLES.items():
        assert name not in KNOWN_VARIABLES, name
        for mentioned in re.findall(r"\bwireguard_[a-z0-9_]+", advice):
            assert mentioned in KNOWN_VARIABLES or mentioned in ROLE_GROUPS, (name, mentioned)


# --- what stays allowed ------------------------------------------------------------------------

def test_every_known_name_is_allowed():
    assert not host_errors({name: "x" for name in KNOWN_VARIABLES if name != "wireguard_per_network"})


@pytest.mark.parametrize("name", [
    "wireguard_networks", "wireguard_store_dir", "wireguard_render_dir", "wireguard_fleet",
    "wireguard_install_userspace", "wireguard_firewall_report", "wireguard_interface_report",
    "wireguard_sysctl_report", "wireguard_devices_report", "wireguard_verify_max_age",
    "wireguard_firewall_backend", "wireguard_keys_private_keys", "wireguard_sysctl_extra",
])
def test_globals_facts_and_role_variables_are_allowed(name):
    assert not host_errors({name: "x"})


@pytest.mark.parametrize("name", [
    "__wireguard_firewall_stale", "__wireguard_anything_at_all", "_wireguard_private", "ansible_host",
    "inventory_hostname", "group_names", "wire", "guard_dog", "my_wireguard_notes", "wireguard",
])
def test_internal_and_foreign_names_are_never_errors(name):
    assert not host_errors({name: "x"})


def test_is_wirefleet_name():
    assert all(is_wirefleet_name(name) for name in KNOWN_VARIABLES)
    assert is_wirefleet_name("wireguard_adress") and is_wirefleet_name("wirgeuard_port")
    assert not any(is_wirefleet_name(name) for name in ("ansible_host", "__wireguard_x", "_wireguard_x", 5, None))


def test_non_string_variable_names_are_left_alone():
    assert not host_errors({1: "x", None: "y", ("wireguard_adress",): "z"})


# --- wireguard_per_network -----------------------------------------------------------------------

def per_network(overrides, network="wg0"):
    return {"wireguard_per_network": {network: overrides}}


def test_misspelt_per_network_key():
    error = only_error(per_network({"adress": "10.8.0.5", "port": 51821}))
    assert error.variable == "wireguard_per_network.wg0.adress"
    assert error.message == "unknown per-network setting; did you mean 'address'?"


def test_misspelt_per_network_endpoint():
    error = only_error(per_network({"endpiont": "vps.example.com"}))
    assert (error.variable, suggestions(error.message)) == ("wireguard_per_network.wg0.endpiont", ["endpoint"])


def test_misspelt_network_name_under_per_network():
    error = only_error(per_network({"port": 51821}, network="wg1"))
    assert error.variable == "wireguard_per_network.wg1"
    assert error.message == "unknown network 'wg1'; did you mean 'wg0'?"


def test_unknown_network_far_from_any_lists_the_networks():
    error = only_error(per_network({}, network="office"))
    assert error.message == "unknown network 'office' (wireguard_networks has home, wg0)"


def test_per_network_keys_take_no_prefix():
    error = only_error(per_network({"wireguard_address": "10.8.0.5"}))
    assert error.message == "keys under wireguard_per_network have no wireguard_ prefix: write 'address'"


@pytest.mark.parametrize("key", ["lan_interface", "uplink_interface", "lan_default_gateway", "state", "managed"])
def test_host_wide_settings_are_not_per_network(key):
    error = only_error(per_network({key: "x"}))
    assert error.message == "not a per-network setting: wireguard_%s applies to all the host's networks" % key


def test_other_roles_names_under_per_network_get_the_wirefleet_way():
    error = only_error(per_network({"persistent_keepalive": 30}))
    assert error.message == OTHER_ROLES_VARIABLES["wireguard_persistent_keepalive"]


def test_unknown_per_network_key_without_close_name_lists_the_keys():
    error = only_error(per_network({"colour": "blue"}))
    assert error.message.startswith("unknown per-network setting (one of address, address6, endpoint")


def test_every_per_network_key_is_allowed_on_every_network():
    overrides = {key: "x" for key in PER_NETWORK_KEYS}
    assert not host_errors({"wireguard_per_network": {"wg0": overrides, "home": overrides}})


def test_a_bad_network_and_a_bad_key_are_two_errors():
    errors = host_errors(per_network({"adress": "10.8.0.5"}, network="wg1"))
    assert [e.variable for e in errors] == ["wireguard_per_network.wg1", "wireguard_per_network.wg1.adress"]


@pytest.mark.parametrize("value", [None, "wg0", ["wg0"], 5, {"wg0": None}, {"wg0": "port"}, {"wg0": ["adress"]}])
def test_type_problems_of_per_network_are_left_to_the_engine(value):
    assert not host_errors({"wireguard_per_network": value})


def test_network_names_unknown_leaves_network_check_to_the_engine():
    """Without networks (wireguard_networks missing or broken) every name would be unknown: only noise."""
    errors = host_errors(per_network({"adress": 1}, network="wg1"), network_names=())
    assert [e.variable for e in errors] == ["wireguard_per_network.wg1.adress"]


# --- role groups ---------------------------------------------------------------------------------

@pytest.mark.parametrize("group, meant", [
    ("wireguard_client", "wireguard_clients"),
    ("wireguard_hub", "wireguard_hubs"),
    ("wg_hubs", "wireguard_hubs"),
    ("wireguard_gateway", "wireguard_gateways"),
    ("wireguard-clients", "wireguard_clients"),
    ("WireGuard_Clients", "wireguard_clients"),
    ("wireguard_clinets", "wireguard_clients"),
    ("wg_clinets", "wireguard_clients"),
    ("wg-mesh", "wireguard_mesh"),
    ("wireguard_meshes", "wireguard_mesh"),
    ("wireguard_servers", "wireguard_hubs"),
    ("wg_spokes", "wireguard_clients"),
    ("wireguardhubs", "wireguard_hubs"),
    ("wireguard_gatways", "wireguard_gateways"),
])
def test_misspelt_role_group_is_reported_with_the_right_name(group, meant):
    errors = group_errors(["all", "ungrouped", group, "webservers"])
    assert len(errors) == 1
    error = errors[0]
    assert (error.where, error.variable) == (WHERE, "groups")
    assert error.message == "group '%s' is not a role group; did you mean '%s'?" % (group, meant)


def test_role_groups_only_reported_when_that_is_why_the_host_has_no_role():
    assert not group_errors(["wireguard_client"], sets_wirefleet_variables=False)
    assert not group_errors(["wireguard_client"], has_role=True)


@pytest.mark.parametrize("group", ["all", "ungrouped", "webservers", "wg_home", "wireguard", "wg", "vpn",
                                   "wireguard_clients_home", "wireguard_lab", "guard", *ROLE_GROUPS])
def test_other_groups_are_not_taken_for_role_groups(group):
    assert not group_errors([group])


def test_sets_host_variables():
    assert sets_host_variables({"wireguard_address": "10.8.0.5"})
    assert sets_host_variables({"wireguard_adress": "10.8.0.5"})
    assert sets_host_variables({"wireguard_postup": []})
    # What group_vars/all gives every host does not make a host a member.
    assert not sets_host_variables({"wireguard_networks": {}, "wireguard_firewall_backend": "iptables",
                                    "wireguard_fleet": {}, "__wireguard_x": 1, "ansible_host": "x"})


# --- property: every single typo of a known name is caught and explained ------------------------

KNOWN = sorted(KNOWN_VARIABLES)
TYPO_CHARACTERS = string.ascii_lowercase + "_"


@st.composite
def single_edits(draw):
    """(known name, that name with one letter or '_' inserted, deleted, substituted, or two neighbours swapped)."""
    name = draw(st.sampled_from(KNOWN))
    kind = draw(st.sampled_from(("insert", "delete", "substitute", "swap")))
    position = draw(st.integers(0, len(name) - (0 if kind == "insert" else 2 if kind == "swap" else 1)))
    char = draw(st.sampled_from(TYPO_CHARACTERS))
    head, tail = name[:position], name[position:]
    if kind == "insert":
        return name, head + char + tail
    if kind == "delete":
        return name, head + tail[1:]
    if kind == "substitute":
        return name, head + char + tail[1:]
    return name, head + tail[1] + tail[0] + tail[2:]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(single_edits())
def test_every_single_typo_of_a_known_name_is_reported(edit):
    name, edited = edit
    # Not a typo when it is itself a name we know; `_`-names are internal or private by convention.
    if edited in KNOWN_VARIABLES or edited.startswith("_"):
        assert not host_errors({edited: "x"})
        return
    error = only_error({edited: "x"})
    assert error.variable == edited
    assert is_wirefleet_name(edited), "a caller filtering hostvars with is_wirefleet_name would drop it"
    if edited in OTHER_ROLES_VARIABLES:
        assert error.message == OTHER_ROLES_VARIABLES[edited]
    else:
        offered = suggestions(error.message)
        assert name in offered and set(offered) <= KNOWN_VARIABLES, error.message


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PER_NETWORK_KEYS), st.integers(0, 30), st.sampled_from(TYPO_CHARACTERS))
def test_every_substitution_typo_of_a_per_network_key_is_reported(key, position, char):
    position %= len(key)
    edited = key[:position] + char + key[position + 1:]
    errors = host_errors(per_network({edited: "x"}))
    if edited in PER_NETWORK_KEYS:
        assert not errors
        return
    assert [e.variable for e in errors] == ["wireguard_per_network.wg0." + edited]
    offered = suggestions(errors[0].message)
    assert not offered or key in offered, errors[0].message


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){0,3}", fullmatch=True))
def test_anything_under_the_prefix_is_known_or_reported(suffix):
    name = "wireguard_" + suffix
    errors = host_errors({name: "x"})
    assert (name in KNOWN_VARIABLES) == (not errors)


# --- the vocabulary cannot drift from the roles, playbooks and inventories -----------------------

def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def declared_role_variables():
    """{role: names declared in its meta/argument_specs.yml and defaults/main.yml}."""
    declared = {}
    for role_dir in sorted(glob.glob(os.path.join(ROOT, "roles", "*"))):
        names = set()
        specs = load_yaml(os.path.join(role_dir, "meta", "argument_specs.yml")) or {}
        for entry_point in (specs.get("argument_specs") or {}).values():
            names.update((entry_point or {}).get("options") or {})
        defaults_path = os.path.join(role_dir, "defaults", "main.yml")
        if os.path.exists(defaults_path):
            names.update(load_yaml(defaults_path) or {})
        declared[os.path.basename(role_dir)] = names
    return declared


def tasks_facts():
    """Public (non-`_`) variables that set_fact sets anywhere in roles/ and playbooks/."""
    facts = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("set_fact", "ansible.builtin.set_fact") and isinstance(value, dict):
                    facts.update(name for name in value if name != "cacheable")
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for pattern in ("roles/*/tasks/*.yml", "roles/*/handlers/*.yml", "playbooks/*.yml", "playbooks/tasks/*.yml"):
        for path in glob.glob(os.path.join(ROOT, pattern)):
            walk(load_yaml(path))
    return {name for name in facts if not name.startswith("_")}


def test_role_variables_are_exactly_what_the_roles_declare():
    declared = declared_role_variables()
    assert declared, "no roles found under %s" % ROOT
    assert {role: set(names) for role, names in vocabulary.ROLE_VARIABLES.items()} == declared
    for role, names in declared.items():
        assert all(name.startswith(role + "_") for name in names), role


def test_facts_are_exactly_what_the_tasks_set():
    assert set(vocabulary.FACTS) == tasks_facts()


def test_every_role_prefixed_name_exists_in_its_role():
    declared = declared_role_variables()
    facts = tasks_facts()
    for name in KNOWN_VARIABLES:
        # a name belongs to the role of its longest prefix: wireguard_keys_dir to wireguard_keys, not to the entry
        # role wireguard (whose prefix every variable shares; it declares none of its own)
        owners = [role for role in declared if name.startswith(role + "_")]
        if owners and name not in HOST_VARIABLES and max(owners, key=len) != "wireguard":
            assert name in declared[max(owners, key=len)] or name in facts, name


def test_globals_are_documented_or_read_by_the_playbooks():
    text = ""
    for pattern in ("playbooks/*.yml", "playbooks/tasks/*.yml", "docs/*.md", "README.md"):
        for path in glob.glob(os.path.join(ROOT, pattern)):
            with open(path, encoding="utf-8") as handle:
                text += handle.read()
    for name in vocabulary.GLOBAL_VARIABLES:
        assert re.search(r"\b%s\b" % name, text), name


def inventory_variables():
    """(source, host or group, variables) of every example inventory and molecule scenario."""
    from example_inventories import INVENTORIES, names  # needs ansible: only here
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    found = []
    for name in names():
        loader = DataLoader()
        inventory = InventoryManager(loader=loader, sources=[os.path.join(INVENTORIES, name)])
        manager = VariableManager(loader=loader, inventory=inventory)
        for host in inventory.get_hosts():
            found.append((name, host.name, manager.get_vars(host=host)))
    for path in sorted(glob.glob(os.path.join(ROOT, "molecule", "*", "molecule.yml"))
                       + glob.glob(os.path.join(ROOT, "molecule", "_shared", "base.yml"))):
        inventory = ((load_yaml(path) or {}).get("provisioner") or {}).get("inventory") or {}
        for kind in ("group_vars", "host_vars"):
            for owner, variables in (inventory.get(kind) or {}).items():
                found.append((path, owner, variables or {}))
    return found


def test_example_inventories_use_only_known_variables():
    found = inventory_variables()
    assert len(found) > 20
    for source, owner, variables in found:
        # Host vars without the networks (they are in group_vars): leave network names unchecked.
        errors = host_errors(variables, list(variables.get("wireguard_networks") or ()))
        assert not errors, "%s %s: %s" % (source, owner, "; ".join(map(str, errors)))


def reference_distance(word, other):
    """Optimal string alignment distance (Levenshtein plus swaps of neighbours), the textbook way."""
    rows = [[i + j if i * j == 0 else 0 for j in range(len(other) + 1)] for i in range(len(word) + 1)]
    for i in range(1, len(word) + 1):
        for j in range(1, len(other) + 1):
            cost = 0 if word[i - 1] == other[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and word[i - 1] == other[j - 2] and word[i - 2] == other[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


@settings(max_examples=500, deadline=None)
@given(st.text("abc_", max_size=7), st.text("abc_", max_size=7))
def test_one_edit_check_agrees_with_the_edit_distance(word, other):
    assert vocabulary._within_one_edit(word, other) == (reference_distance(word, other) <= 1)


def test_a_removed_variable_of_ours_says_what_replaced_it():
    from ansible_collections.wirefleet.wireguard.plugins.module_utils.vocabulary import unknown_variable_message
    assert unknown_variable_message("wireguard_install_supported_platforms").startswith("removed:")
