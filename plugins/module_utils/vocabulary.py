# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every variable name wirefleet knows, so a misspelt one is an error with a suggestion.

A typo such as `wireguard_adress` would otherwise be ignored and silently yield a different
network than the user wrote. Names other WireGuard roles use get the wirefleet way to say it.
The lists are Python (the engine reads no YAML); tests/unit/test_vocabulary.py keeps them equal
to what the roles declare and set.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import host as host_where
from ansible_collections.wirefleet.wireguard.plugins.module_utils.inputs import (
    HOST_VARIABLES,
    PER_NETWORK_KEYS,
    ROLE_GROUPS,
)

PREFIX = "wireguard_"
DOCS_HINT = "wirefleet's host variables are listed in docs/inventory.md"

# Set by the user for the whole run (group_vars/all or -e), read by the playbooks.
GLOBAL_VARIABLES = (
    "wireguard_networks",
    "wireguard_store_dir",
    "wireguard_render_dir",
    "wireguard_drift_file",
    "wireguard_run_report",
    "wireguard_controller",
    "wireguard_verify_max_age",
    "wireguard_verify_unmanaged",
    "wireguard_verify_firewall",
    "wireguard_verify_textfile",
    "wireguard_rotate_hosts",  # rotate.yml: the hosts whose keys to rotate
)

# Host variables that only the playbooks read (the engine never sees them).
PLAYBOOK_HOST_VARIABLES = (
    "wireguard_lan_probe",  # verify.yml: an address on a LAN behind this gateway that must answer across the VPN
    "wireguard_exit_probe_url",  # verify.yml: a "what is my IP" URL a full-tunnel client fetches through its exit
    "wireguard_exit_probe_address",  # verify.yml: the address(es) an exit gateway's traffic must leave with
)

# set_fact results of the playbooks and roles: during a run they are in every host's hostvars.
FACTS = (
    "wireguard_fleet",
    "wireguard_drift",
    "wireguard_store_dir",
    "wireguard_install_userspace",
    "wireguard_firewall_report",
    "wireguard_interface_report",
    "wireguard_sysctl_report",
    "wireguard_devices_report",
    "wireguard_rotation",
)

# Declared in roles/<role>/meta/argument_specs.yml and roles/<role>/defaults/main.yml.
ROLE_VARIABLES = {
    # The entry role (roles/wireguard) reads the inventory's and its roles' variables; none of its own.
    "wireguard": (),
    "wireguard_devices": (
        "wireguard_devices_dir", "wireguard_devices_fleet", "wireguard_devices_qr", "wireguard_devices_show_qr",
        "wireguard_devices_store_dir",
    ),
    "wireguard_firewall": (
        "wireguard_firewall_backend", "wireguard_firewall_check_only", "wireguard_firewall_computed", "wireguard_firewall_default_interface",
        "wireguard_firewall_default_interface6", "wireguard_firewall_dir", "wireguard_firewall_enabled",
        "wireguard_firewall_forward_strict", "wireguard_firewall_install_packages", "wireguard_firewall_state",
        "wireguard_firewall_firewalld_zone", "wireguard_firewall_trusted_chains",
    ),
    "wireguard_install": (
        "wireguard_install_cache_valid_time", "wireguard_install_computed", "wireguard_install_full_tunnel_packages",
        "wireguard_install_implementation", "wireguard_install_package_manager", "wireguard_install_packages",
        "wireguard_install_resolvconf", "wireguard_install_resolvconf_package",
        "wireguard_install_update_cache", "wireguard_install_userspace_package",
    ),
    "wireguard_interface": (
        "wireguard_interface_computed", "wireguard_interface_dir", "wireguard_interface_remove_stale",
        "wireguard_interface_reresolve", "wireguard_interface_reresolve_interval",
        "wireguard_interface_reresolve_stale", "wireguard_interface_state", "wireguard_interface_store_dir",
    ),
    "wireguard_keys": (
        "wireguard_keys_computed", "wireguard_keys_controller", "wireguard_keys_dir", "wireguard_keys_fleet",
        "wireguard_keys_private_keys", "wireguard_keys_store_dir",
    ),
    "wireguard_schedule": (
        "wireguard_schedule_ansible_playbook", "wireguard_schedule_extra_args", "wireguard_schedule_inventory",
        "wireguard_schedule_lock", "wireguard_schedule_name", "wireguard_schedule_on_calendar",
        "wireguard_schedule_playbook", "wireguard_schedule_python", "wireguard_schedule_randomized_delay",
        "wireguard_schedule_state", "wireguard_schedule_state_dir", "wireguard_schedule_timeout",
        "wireguard_schedule_user", "wireguard_schedule_working_directory",
    ),
    "wireguard_sysctl": (
        "wireguard_sysctl_computed", "wireguard_sysctl_default_interface", "wireguard_sysctl_extra",
        "wireguard_sysctl_file", "wireguard_sysctl_ipv6_uplink", "wireguard_sysctl_keep_ipv6_router_advertisements",
        "wireguard_sysctl_state",
    ),
}

KNOWN_VARIABLES = frozenset(HOST_VARIABLES + PLAYBOOK_HOST_VARIABLES + GLOBAL_VARIABLES + FACTS).union(
    *ROLE_VARIABLES.values())
# Suggestions come in a stable order whatever the hash seed.
_SUGGESTIBLE = sorted(KNOWN_VARIABLES)

_HOOKS = ("wirefleet never writes hooks (they run as root): firewall, NAT and forwarding come from the topology "
          "(wireguard_nat, wireguard_lans); see docs/inventory.md")
_ALLOWED_IPS = ("wirefleet derives AllowedIPs from the topology: put LANs behind a host in wireguard_lans, "
                "a full tunnel is wireguard_full_tunnel")
_UNMANAGED = "a device Ansible cannot reach is an inventory host with wireguard_managed: false"
_SERVICE = ("wireguard_interface runs every interface as an enabled wg-quick@<interface> service; "
            "wireguard_state: absent removes a host's interfaces")
_CONFIG_FILE = ("wirefleet writes <interface>.conf itself, in wireguard_interface_dir "
                "(owner, mode, file name and backups are not settings)")
_PLATFORM = ("wirefleet installs with the host's package manager (apt, dnf or pacman: "
             "wireguard_install_package_manager) and runs every interface with wg-quick")
_KEY_FILES = "private keys stay in wireguard_keys_dir on their host, public keys in the controller store"

# What other WireGuard roles call these (githubixx/ansible-role-wireguard first, the most used one,
# then lablabs/ansible-role-wireguard and common spellings), and how wirefleet says it.
OTHER_ROLES_VARIABLES = {
    # ours, removed: the install role plans per distribution now
    "wireguard_install_supported_platforms": ("removed: the install role no longer refuses distributions; it plans "
                                              "the package manager path per host (wireguard_install_package_manager "
                                              "forces one)"),
    "wireguard_addresses": "wirefleet takes one address per family: wireguard_address (IPv4) and wireguard_address6",
    "wireguard_allowed_ips": _ALLOWED_IPS,
    "wireguard_peers_allowed_ips": _ALLOWED_IPS,
    "wireguard_persistent_keepalive": "use wireguard_keepalive (or the network's keepalive)",
    "wireguard_preup": _HOOKS,
    "wireguard_predown": _HOOKS,
    "wireguard_postup": _HOOKS,
    "wireguard_postdown": _HOOKS,
    "wireguard_unmanaged_peers": _UNMANAGED,
    "wireguard_unmanaged_hosts": _UNMANAGED,
    "wireguard_private_key": ("private keys are made on their host; give wireguard_public_key for a key you made "
                              "(or wireguard_keys_private_keys to bring a private key)"),
    "wireguard_preshared_key": "preshared keys are made per peer pair: set preshared_keys: true on the network",
    "wireguard_fwmark": "wirefleet leaves FwMark and Table to wg-quick; a full tunnel is wireguard_full_tunnel",
    "wireguard_table": "wirefleet leaves FwMark and Table to wg-quick; a full tunnel is wireguard_full_tunnel",
    "wireguard_save_config": "wirefleet owns the config files, so wg-quick's SaveConfig is never set",
    "wireguard_remote_directory": "the config directory is wireguard_interface_dir",
    "wireguard_dir": "the config directory is wireguard_interface_dir",
    "wireguard_conf_owner": _CONFIG_FILE,
    "wireguard_conf_group": _CONFIG_FILE,
    "wireguard_conf_mode": _CONFIG_FILE,
    "wireguard_conf_filename": _CONFIG_FILE,
    "wireguard_conf_backup": _CONFIG_FILE,
    "wireguard_service_enabled": _SERVICE,
    "wireguard_service_state": _SERVICE,
    "wireguard_interface_restart": _SERVICE,
    "wireguard_flush_handlers": "wirefleet applies changes within its roles (wg syncconf), no handler to flush",
    "wireguard_install_kernel_module": "use wireguard_install_implementation (auto, kernel or userspace)",
    "wireguard_update_cache": "use wireguard_install_update_cache",
    "wireguard_ubuntu_update_cache": "use wireguard_install_update_cache",
    "wireguard_ubuntu_cache_valid_time": "use wireguard_install_cache_valid_time",
    "wireguard_ubuntu_use_netplan": _PLATFORM,
    "wireguard_rockylinux8_installation_method": _PLATFORM,
    "wireguard_packages": "use wireguard_install_packages",
    "wireguard_as_spoke": "group membership is the role: a spoke is in wireguard_clients (or wireguard_gateways)",
    "wireguard_server_ip": "a lone hub gets the network's first address; set wireguard_address on the hub otherwise",
    "wireguard_privatekey_path": _KEY_FILES,
    "wireguard_publickey_path": _KEY_FILES,
    "wireguard_ip": "wirefleet calls it wireguard_address",
    "wireguard_ipv4": "wirefleet calls it wireguard_address",
    "wireguard_ipv6": "wirefleet calls it wireguard_address6",
    "wireguard_address_v6": "wirefleet calls it wireguard_address6",
    "wireguard_listen_port": "wirefleet calls it wireguard_port",
    "wireguard_iface": "wirefleet calls it wireguard_interface",
    "wireguard_nat_interface": "wirefleet calls it wireguard_uplink_interface",
    "wireguard_wan_interface": "wirefleet calls it wireguard_uplink_interface",
}
OTHER_ROLES_VARIABLES.update({
    group: "%s is an inventory group, not a variable: put the host in it (or set wireguard_roles)" % group
    for group in ROLE_GROUPS
})

# Role group spellings people reach for: group name prefix, and role word -> the role group meant.
_GROUP_PREFIXES = ("wireguard", "wire_guard", "wg")
_ROLE_WORDS = {
    "hubs": "wireguard_hubs", "hub": "wireguard_hubs", "servers": "wireguard_hubs", "server": "wireguard_hubs",
    "gateways": "wireguard_gateways", "gateway": "wireguard_gateways", "gw": "wireguard_gateways",
    "gws": "wireguard_gateways",
    "clients": "wireguard_clients", "client": "wireguard_clients", "spokes": "wireguard_clients",
    "spoke": "wireguard_clients",
    "mesh": "wireguard_mesh", "meshes": "wireguard_mesh", "backbone": "wireguard_mesh",
}


def check_host_variables(collector, hostname, variables, network_names):
    """Report every wirefleet-looking variable of one host that wirefleet does not know.

    variables: the host's variables (at least every one starting with 'wireguard_'; others are
    looked at only for a misspelt 'wireguard_' prefix). network_names: the wireguard_networks keys.
    Type problems (wireguard_per_network not a mapping, ...) are left to the engine.
    """
    where = host_where(hostname)
    for name in sorted(variables, key=str):
        if _is_unknown(name):
            collector.add(where, str(name), unknown_variable_message(name))
    per_network = variables.get(PREFIX + "per_network")
    if isinstance(per_network, Mapping):
        _check_per_network(collector, where, per_network, network_names)


def check_role_groups(collector, hostname, host_groups, sets_wirefleet_variables, has_role):
    """Report groups of a host that look like a misspelt role group, when that is why it has no role.

    Only when the host sets wirefleet variables but has no role: then a group like wireguard_client,
    wg_hubs or wireguard-gateways is most likely meant to be a role group.
    """
    if not sets_wirefleet_variables or has_role:
        return
    for group in sorted(host_groups, key=str):
        meant = role_group_meant(group)
        if meant:
            collector.add(host_where(hostname), "groups", "group '%s' is not a role group; did you mean '%s'?"
                          % (group, meant))


def sets_host_variables(variables):
    """Whether a host gives any host variable (or one that looks like a misspelt one).

    Globals, role variables and facts are on every host (group_vars/all, set_fact), so they do not
    count: they do not say the host is meant to be in the VPN.
    """
    return any(name in HOST_VARIABLES or _is_unknown(name) for name in variables)


def is_wirefleet_name(name):
    """Whether check_host_variables needs to see this variable: known, or looks like a misspelt one.

    Callers that copy a host's variables out of hostvars use this, so prefix typos (wirgeuard_port)
    reach the check too.
    """
    return isinstance(name, str) and (name in KNOWN_VARIABLES or _is_unknown(name))


def unknown_variable_message(name):
    """Why a variable is unknown: the wirefleet way for other roles' names, else a did-you-mean."""
    if name in OTHER_ROLES_VARIABLES:
        return OTHER_ROLES_VARIABLES[name]
    suggestions = _closest(str(name), _SUGGESTIBLE)
    if suggestions:
        return "unknown variable; did you mean %s?" % _either(suggestions)
    return "unknown variable (%s)" % DOCS_HINT


def role_group_meant(group):
    """The role group a group name most likely means (wg_hubs -> wireguard_hubs), or None."""
    if not isinstance(group, str) or group in ROLE_GROUPS:
        return None
    words = re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_")
    for prefix in _GROUP_PREFIXES:
        if words.startswith(prefix):
            role_word = difflib.get_close_matches(words[len(prefix):].strip("_"), sorted(_ROLE_WORDS), n=1, cutoff=0.8)
            if role_word:
                return _ROLE_WORDS[role_word[0]]
    # Strict, so a network's own group (wireguard_clients_home) is not taken for a role group.
    close = difflib.get_close_matches(words, sorted(ROLE_GROUPS), n=1, cutoff=0.9)
    return close[0] if close else None


def _is_unknown(name):
    """A wirefleet-looking name that is not known; `_`-names (internal, private) never are."""
    if not isinstance(name, str) or name.startswith("_") or name in KNOWN_VARIABLES:
        return False
    if name.startswith(PREFIX):
        return True
    # A typo in the prefix itself (wireguad_port, wirgeuard_port): one edit from a known name. One edit
    # (even a swap) leaves "wir" or "uard" whole, which cheaply rules out the many other variables of a host.
    if "wir" not in name and "uard" not in name:
        return False
    return any(_within_one_edit(name, known) for known in _SUGGESTIBLE)


def _check_per_network(collector, where, per_network, network_names):
    network_names = list(network_names or ())
    known_networks = sorted(map(str, network_names))
    for network in sorted(per_network, key=str):
        variable = "%s.%s" % (PREFIX + "per_network", network)
        # Without networks (wireguard_networks missing or broken) every name would be unknown: only noise.
        if network_names and network not in network_names:
            collector.add(where, variable, _unknown_network_message(network, known_networks))
        overrides = per_network[network]
        if isinstance(overrides, Mapping):
            for key in sorted(overrides, key=str):
                if key not in PER_NETWORK_KEYS:
                    collector.add(where, "%s.%s" % (variable, key), _unknown_key_message(key))


def _unknown_network_message(network, known_networks):
    suggestions = _closest(str(network), known_networks)
    if suggestions:
        return "unknown network '%s'; did you mean %s?" % (network, _either(suggestions))
    return "unknown network '%s' (wireguard_networks has %s)" % (network, ", ".join(known_networks))


def _unknown_key_message(key):
    text = str(key)
    bare = text[len(PREFIX):] if text.startswith(PREFIX) else text
    if bare in PER_NETWORK_KEYS:
        return "keys under wireguard_per_network have no wireguard_ prefix: write '%s'" % bare
    if PREFIX + bare in HOST_VARIABLES:
        return "not a per-network setting: %s%s applies to all the host's networks" % (PREFIX, bare)
    if PREFIX + bare in OTHER_ROLES_VARIABLES:
        return OTHER_ROLES_VARIABLES[PREFIX + bare]
    suggestions = _closest(bare, PER_NETWORK_KEYS)
    if suggestions:
        return "unknown per-network setting; did you mean %s?" % _either(suggestions)
    return "unknown per-network setting (one of %s)" % ", ".join(PER_NETWORK_KEYS)


def _closest(word, candidates):
    """The candidates one typo away from word, else the most similar; several only when equally close."""
    one_edit = sorted((c for c in candidates if _within_one_edit(word, c)), key=lambda c: (-_ratio(word, c), c))
    if one_edit:
        return one_edit[:3]
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.75)
    if not close:
        return []
    best = _ratio(word, close[0])
    return [candidate for candidate in close if _ratio(word, candidate) == best]


def _ratio(word, candidate):
    return difflib.SequenceMatcher(None, word, candidate).ratio()


def _either(names):
    quoted = ["'%s'" % name for name in names]
    return quoted[0] if len(quoted) == 1 else "%s or %s" % (", ".join(quoted[:-1]), quoted[-1])


def _within_one_edit(word, other):
    """Insert, delete, substitute or swap two neighbours: at most one such edit turns word into other."""
    if abs(len(word) - len(other)) > 1:
        return False
    start = 0
    while start < min(len(word), len(other)) and word[start] == other[start]:
        start += 1
    word_tail, other_tail = word[start:], other[start:]
    if len(word_tail) != len(other_tail):
        return word_tail[1:] == other_tail or word_tail == other_tail[1:]
    substituted = word_tail[1:] == other_tail[1:]
    swapped = word_tail[1:2] + word_tail[:1] + word_tail[2:] == other_tail
    return substituted or swapped
