# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: install_plan
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Which package manager path and packages give a host WireGuard
description:
  - Chooses, from the host's facts and what the install role's probe found on it, the package manager path
    (C(apt), C(dnf), C(pacman), or C(none) when C(wg) and C(wg-quick) are already there on a host whose package
    manager wirefleet does not know) and the packages (wireguard-tools, wireguard-go where the kernel has no
    WireGuard, a resolvconf where an interface sets DNS and none is installed, nftables for full tunnels).
  - Fails with one message naming the host, what was found and what is needed when the host cannot run
    wirefleet (no systemd; no known package manager and no wg-quick; C(none) forced with tools missing).
options:
  _input:
    description: The host's C(ansible_facts) (distribution, distribution_major_version, os_family, pkg_mgr,
      service_mgr, kernel).
    type: dict
    required: true
  probe:
    description: Output of the install role's probe, lines C(key=yes|no) for kernel_module, wg, wg_quick,
      wireguard_go, resolvconf, resolved_active.
    type: str
    required: true
  host:
    description: The host's inventory name, for messages.
    type: str
    required: true
  computed:
    description: The host's entry of the computed fleet (its interfaces say whether DNS or a full tunnel is set).
    type: dict
    default: {}
  implementation:
    description: C(auto) (kernel when usable), C(kernel) or C(userspace).
    type: str
    default: auto
  resolvconf:
    description: C(auto) (when an interface sets DNS), C(always) or C(never).
    type: str
    default: auto
  package_manager:
    description: C(auto), or a path to force (C(apt), C(dnf), C(pacman), C(none)).
    type: str
    default: auto
  packages:
    description: Packages always installed; null for the path's own (C([wireguard-tools])).
    type: list
    elements: str
  userspace_package:
    description: Package of wireguard-go; null for the path's own, empty for none.
    type: str
  resolvconf_package:
    description: resolvconf provider; null for the path's own choice.
    type: str
  full_tunnel_packages:
    description: Installed for full tunnels; null for C([nftables]).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Plan what to install
  ansible.builtin.set_fact:
    __plan: >-
      {{ ansible_facts | wirefleet.wireguard.install_plan(probe=__probe.stdout, host=inventory_hostname,
         computed=wireguard_fleet.hosts[inventory_hostname]) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    package_manager:
      description: C(apt), C(dnf), C(pacman) or C(none).
      type: str
    package_module:
      description: What to install with - C(apt), C(auto) (ansible.builtin.package's own choice), C(dnf),
        C(pacman) (forced against the pkg_mgr fact), C(none).
      type: str
    packages:
      description: Package names to install (empty on C(none)).
      type: list
      elements: str
    userspace:
      description: Whether the host uses wireguard-go.
      type: bool
    platform:
      description: The distribution as shown in messages.
      type: str
    known_platform:
      description: Whether the distribution and version are among those whose package names wirefleet checked.
      type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.platforms import (
    PlatformError,
    install_plan as plan_for,
    needs_from_fleet,
    parse_probe,
)


def install_plan(facts, probe, host, computed=None, implementation="auto", resolvconf="auto",
                 package_manager="auto", packages=None, userspace_package=None, resolvconf_package=None,
                 full_tunnel_packages=None):
    overrides = {"package_manager": package_manager, "packages": packages, "userspace_package": userspace_package,
                 "resolvconf_package": resolvconf_package, "full_tunnel_packages": full_tunnel_packages}
    try:
        needs = needs_from_fleet(computed, resolvconf, implementation)
        return plan_for(host, dict(facts or {}), parse_probe(probe), needs, overrides)
    except PlatformError as exc:
        raise AnsibleFilterError("wireguard_install: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"install_plan": install_plan}
