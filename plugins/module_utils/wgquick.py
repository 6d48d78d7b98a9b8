# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renders one computed interface as a wg-quick configuration file.

Every value is checked against what it must be before it is written (addresses parse as addresses,
ports are numbers, keys are canonical base64, names are plain names), whatever its origin: a value
that could end its line would let it carry a line of its own, and `PostUp = ...` in a wg-quick config
runs as root. render raises ValueError naming the field instead. Standard library only (wg_config
renders on the hosts).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key, is_preshared_key_id
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import (
    control_characters,
    ip_address,
    is_hostname,
    is_interface,
    is_name,
    is_safe_text,
)

HEADER = ("# {host}: {interface} in network '{network}' as {role}. "
          "Written by wirefleet.wireguard; local edits are overwritten.")
# Where a host's own private key lives when it is left out (plan mode): made on the host, never copied.
HOST_KEY_NOTE = "generated on {host} and kept there (/etc/wireguard/{interface}.key)"
PORT_RANGE = (1, 65535)
MTU_RANGE = (1280, 9000)  # what the inventory accepts (docs/inventory.md)
KEEPALIVE_RANGE = (1, 65535)  # 0 / None: no PersistentKeepalive line


def unknown_key(host):
    """Placeholder for a public key the controller store does not have yet (plan mode)."""
    return "<public key of %s: unknown until it is converged>" % host


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _refuse(field, value, rule, secret=False):
    """The ValueError for a value that is not what field must be; secrets are never shown."""
    shown = "" if secret else " " + _shown(value)
    if isinstance(value, str) and control_characters(value):
        raise ValueError("%s%s holds the control character(s) %s, which would end its line in the config"
                         % (field, shown, ", ".join(control_characters(value))))
    raise ValueError("%s%s is not %s" % (field, shown, rule))


def _checked(field, value, check, rule, secret=False):
    """value when it is a string passing check (and holding no control character), else ValueError."""
    if not isinstance(value, str) or control_characters(value) or not check(value):
        _refuse(field, value, rule, secret)
    return value


def _integer(field, value, bounds):
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _refuse(field, value, "a number from %d to %d" % bounds)
    return value


def _optional_integer(field, value, bounds):
    """None or 0 (not set: no line), else a number within bounds."""
    if value is None or (value == 0 and not isinstance(value, bool)):
        return None
    return _integer(field, value, bounds)


def _is_cidr(text):
    # '%' would be an IPv6 scope id, which ipaddress accepts with any characters in it.
    if "%" in text:
        return False
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        return False
    return True


def _is_dns_entry(text):
    # wg-quick passes entries that are not addresses on as search domains.
    return ip_address(text) is not None or is_hostname(text)


def is_endpoint(text):
    """Whether text is host:port with an RFC 1123 name or IPv4 address, or [IPv6]:port."""
    host, colon, port = text.rpartition(":")
    if not colon or not (port.isascii() and port.isdigit()) or not PORT_RANGE[0] <= int(port) <= PORT_RANGE[1]:
        return False
    if host.startswith("[") and host.endswith("]"):
        address = ip_address(host[1:-1])
        return address is not None and address.version == 6
    address = ip_address(host)
    return address.version == 4 if address is not None else is_hostname(host)


def named_endpoint(text):
    """Whether an Endpoint (host:port, as is_endpoint accepts) names its host by DNS name rather than address."""
    host = text.rpartition(":")[0]
    return is_endpoint(text) and not host.startswith("[") and ip_address(host) is None


def reresolved_interfaces(interfaces):
    """The interfaces (of a host's fleet entry) whose network re-resolves DNS endpoints and that have a peer
    whose endpoint is a name: they get wirefleet-reresolve@<interface>.timer."""
    return sorted(name for name, entry in interfaces.items()
                  if entry.get("reresolve_dns", True)
                  and any(named_endpoint(peer.get("endpoint") or "") for peer in entry.get("peers", ())))


def _items(field, values, check, rule):
    """A list of strings, each passing check: the comma-separated value of Address, DNS, AllowedIPs."""
    if not isinstance(values, (list, tuple)):
        _refuse(field, values, "a list")
    return [_checked("%s item %d" % (field, number), value, check, rule) for number, value in enumerate(values, 1)]


def _interface_lines(host, interface, entry, private_key, private_key_note):
    addresses = _items("addresses", entry.get("addresses") or [], _is_cidr, "an address with prefix (10.8.0.1/24)")
    listen_port = _optional_integer("listen_port", entry.get("listen_port"), PORT_RANGE)
    mtu = _optional_integer("mtu", entry.get("mtu"), MTU_RANGE)
    dns = _items("dns", entry.get("dns") or [], _is_dns_entry, "an IP address or a search domain")
    lines = ["[Interface]"]
    if addresses:
        lines.append("Address = %s" % ", ".join(addresses))
    if listen_port:
        lines.append("ListenPort = %d" % listen_port)
    if mtu:
        lines.append("MTU = %d" % mtu)
    if dns:
        lines.append("DNS = %s" % ", ".join(dns))
    if private_key is not None:
        lines.append("PrivateKey = %s" % _checked("private key", private_key, is_key, "a WireGuard key", secret=True))
    else:
        note = HOST_KEY_NOTE.format(host=host, interface=interface) if private_key_note is None else private_key_note
        lines.append("# PrivateKey: %s" % _checked("private key note", note, is_safe_text, "one line of text"))
    return lines


def _peer_lines(where, peer, preshared_keys):
    if not isinstance(peer, dict):
        _refuse(where, peer, "a peer entry (a mapping)")
    name = _checked(where + " name", peer["name"], is_name, "a host name")
    where = "%s (%s)" % (where, name)
    role = _checked(where + " role", peer["role"], is_name, "a role")
    key = peer.get("public_key")
    key = unknown_key(name) if key is None else _checked(where + " public_key", key, is_key, "a WireGuard key")
    lines = ["", "[Peer]", "# %s (%s)" % (name, role), "PublicKey = %s" % key]
    psk_id = peer.get("preshared_key_id")
    if psk_id is not None:
        _checked(where + " preshared_key_id", psk_id, is_preshared_key_id, "a preshared key id (<network>/<a>--<b>)")
        if psk_id in preshared_keys:
            psk = _checked(where + " preshared key", preshared_keys[psk_id], is_key, "a WireGuard key", secret=True)
            lines.append("PresharedKey = %s" % psk)
        else:
            lines.append("# PresharedKey: %s, kept in the controller store" % psk_id)
    if peer.get("endpoint") is not None:
        lines.append("Endpoint = %s" % _checked(where + " endpoint", peer["endpoint"], is_endpoint,
                                                "host:port or [IPv6]:port"))
    allowed = _items(where + " allowed_ips", peer["allowed_ips"], _is_cidr, "an address or CIDR")
    lines.append("AllowedIPs = %s" % ", ".join(allowed))
    keepalive = _optional_integer(where + " keepalive", peer.get("keepalive"), KEEPALIVE_RANGE)
    if keepalive:
        lines.append("PersistentKeepalive = %d" % keepalive)
    return lines


def render(host, interface, entry, private_key=None, preshared_keys=None, skip_unknown_peers=False,
           private_key_note=None):
    """Return the wg-quick config text; ValueError naming the field when a value is not what it must be.

    private_key None leaves a comment instead (anything else must be a key): "# PrivateKey: <private_key_note>"
    (default: made on the host and kept there; plan mode: keys never leave their host).
    preshared_keys maps preshared_key_id -> key; a missing id is left out with a comment.
    skip_unknown_peers drops peers whose public key is not known yet (live configs must parse).
    """
    if not isinstance(entry, dict):
        _refuse("entry", entry, "an interface entry (a mapping)")
    preshared_keys = preshared_keys or {}
    header = HEADER.format(
        host=_checked("host", host, is_name, "a host name"),
        interface=_checked("interface", interface, is_interface, "an interface name"),
        network=_checked("network", entry["network"], is_name, "a network name"),
        role=_checked("role", entry["role"], is_name, "a role"),
    )
    lines = [header] + _interface_lines(host, interface, entry, private_key, private_key_note)
    for number, peer in enumerate(entry["peers"], 1):
        if skip_unknown_peers and isinstance(peer, dict) and peer.get("public_key") is None:
            continue
        lines.extend(_peer_lines("peer %d" % number, peer, preshared_keys))
    return "\n".join(lines) + "\n"
