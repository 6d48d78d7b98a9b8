# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters from the engine's `system` needs: the sysctl role's counterpart of firewall.plan.

Every key built from an interface name is checked, so no value can end a line of the sysctl file or
name another setting.
"""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import INTERFACE_RULE, is_interface


def _interface(what, value):
    """The interface as a sysctl key step: a dot in its name (eth0.100, a VLAN) is written '/', as sysctl wants."""
    # '=' is a valid interface character but would split the line `key = value` of the sysctl file.
    if not is_interface(value) or "=" in value:
        raise ValueError("%s %r is not an interface name sysctl can take (%s, without '=')"
                         % (what, value, INTERFACE_RULE))
    return value.replace(".", "/")


def settings(system, default_interface=None, ipv6_uplink=None, keep_ipv6_router_advertisements=True, extra=None):
    """{sysctl key: value} one host needs; {} when it needs none (then the role removes its file).

    default_interface: where proxy_arp entries that name no interface apply (the default route's).
    ipv6_uplink: the interface whose router advertisements must stay accepted once IPv6 forwards.
    extra: the user's own settings, added only when the host needs any of ours.
    """
    system = system or {}
    wanted = {}
    if system.get("forward_ipv4"):
        wanted["net.ipv4.ip_forward"] = 1
    if system.get("forward_ipv6"):
        wanted["net.ipv6.conf.all.forwarding"] = 1
        # With forwarding on, Linux ignores router advertisements unless accept_ra=2: the uplink's
        # SLAAC default route would expire.
        if keep_ipv6_router_advertisements and ipv6_uplink:
            wanted["net.ipv6.conf.%s.accept_ra" % _interface("IPv6 uplink", ipv6_uplink)] = 2
    for entry in system.get("proxy_arp") or ():
        interface = entry.get("interface") or default_interface
        if not interface:
            raise ValueError("proxy_arp needs the LAN interface, but neither wireguard_lan_interface nor a default "
                             "route (wireguard_sysctl_default_interface) names one")
        wanted["net.ipv4.conf.%s.proxy_arp" % _interface("proxy_arp interface", interface)] = 1
    # A hub relays between peers of one interface: redirects would point them at peers they reach only through it.
    if any(forward.get("between_peers") for forward in system.get("forwarding") or ()):
        wanted["net.ipv4.conf.all.send_redirects"] = 0
        wanted["net.ipv4.conf.default.send_redirects"] = 0
    if system.get("src_valid_mark"):
        wanted["net.ipv4.conf.all.src_valid_mark"] = 1
    if wanted and extra:
        wanted.update(extra)
    return wanted
