# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What verify.yml expects of one host: the peers it must have a recent handshake with, from the fleet."""

from __future__ import annotations

import ipaddress

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters, ip_address


def _tunnel_address(fleet, host, network):
    """The peer's first tunnel address in that network, without prefix ('' when it has none)."""
    for entry in fleet["hosts"][host]["interfaces"].values():
        if entry["network"] == network and entry["addresses"]:
            return entry["addresses"][0].split("/")[0]
    return ""


def expected_peers(fleet, host, include_unmanaged=False):
    """[{interface, name, key, address, managed, required}] for every peer of host whose key is known.

    required: a handshake must be recent; unmanaged devices (phones) only when include_unmanaged.
    """
    expected = []
    for interface, entry in sorted(fleet["hosts"][host]["interfaces"].items()):
        for peer in entry["peers"]:
            if not peer.get("public_key"):
                continue
            managed = fleet["hosts"][peer["name"]]["managed"]
            expected.append({
                "interface": interface, "name": peer["name"], "key": peer["public_key"],
                "address": _tunnel_address(fleet, peer["name"], entry["network"]),
                "managed": managed, "required": bool(managed or include_unmanaged),
            })
    return expected


def stale_peers(expected, handshakes, now, max_age):
    """Names of required peers whose latest handshake (`wg show <if> latest-handshakes` lines) is older than max_age."""
    stamps = {}
    for line in handshakes:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stamps[parts[0]] = int(parts[1])
    return [peer["name"] for peer in expected if peer["required"] and stamps.get(peer["key"], 0) <= now - max_age]


def _probe_addresses(gateway, value):
    """The addresses of one host's wireguard_lan_probe (an address or a list of them); ValueError naming both."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError("host '%s': wireguard_lan_probe must be an address on a LAN behind it, or a list of them"
                         % gateway)
    addresses = []
    for item in values:
        parsed = ip_address(item)
        if parsed is None:
            shown = repr(item) if len(repr(item)) <= 60 else repr(item)[:57] + "..."
            raise ValueError("host '%s': wireguard_lan_probe %s is not an IP address" % (gateway, shown))
        addresses.append(parsed)
    return addresses


def _routes_to(fleet, host, address, exclude_default=False):
    """[(prefix length, interface, peer name)] of host's peers whose AllowedIPs carry address, most specific first."""
    found = []
    for interface, entry in sorted(fleet["hosts"][host]["interfaces"].items()):
        for peer in entry["peers"]:
            for allowed in peer["allowed_ips"]:
                network = ipaddress.ip_network(allowed, strict=False)
                if network.version == address.version and address in network:
                    if network.prefixlen or not exclude_default:
                        found.append((network.prefixlen, interface, peer["name"]))
    return sorted(found, key=lambda item: -item[0])


def lan_probes(fleet, probes):
    """{host: [{address, gateway, interface, via}]}: the LAN addresses each managed host must reach.

    probes maps a gateway to its wireguard_lan_probe. A host probes an address when a peer's AllowedIPs carry it:
    a LAN prefix, or a default route (full tunnel) whose peer itself has a more specific route to it (or is the
    gateway). An address no host of the fleet routes is a mistake in the inventory (a typo, a LAN not in
    wireguard_lans): ValueError naming the gateway and the variable.
    """
    wanted = {name: [] for name, entry in fleet["hosts"].items() if entry["managed"]}
    for gateway, value in sorted(probes.items()):
        if gateway not in fleet["hosts"]:
            continue
        for address in _probe_addresses(gateway, value):
            routed_by = 0
            for host in sorted(wanted):
                for prefixlen, interface, via in ([] if host == gateway else _routes_to(fleet, host, address)):
                    if prefixlen or via == gateway or _routes_to(fleet, via, address, exclude_default=True):
                        wanted[host].append({"address": str(address), "gateway": gateway, "interface": interface,
                                             "via": via})
                        routed_by += 1
                        break
            if not routed_by:
                raise ValueError("host '%s': wireguard_lan_probe %s lies in no LAN the fleet routes (not in the "
                                 "AllowedIPs of any peer): give an address on a LAN in its wireguard_lans"
                                 % (gateway, address))
    return wanted


def _label(value):
    """A label value of the Prometheus text format: backslash, double quote and newline escaped, any other
    control character (which some readers take as a line end) replaced."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return "".join("\ufffd" if control_characters(char) else char for char in text)


def _columns(lines):
    """{public key: [fields]} of `wg show <if> latest-handshakes` / `transfer` lines."""
    table = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and all(part.isdigit() for part in parts[1:]):
            table[parts[0]] = [int(part) for part in parts[1:]]
    return table


METRICS = (
    ("wirefleet_peer_last_handshake_seconds", "gauge", "Unix time of the latest handshake with the peer (0: none)"),
    ("wirefleet_peer_handshake_age_seconds", "gauge", "Seconds since the latest handshake with the peer"),
    ("wirefleet_peer_receive_bytes_total", "counter", "Bytes received from the peer"),
    ("wirefleet_peer_transmit_bytes_total", "counter", "Bytes sent to the peer"),
    ("wirefleet_peer_ping_ok", "gauge", "1 when the peer answered a ping across the tunnel in the last verify run"),
    ("wirefleet_lan_probe_ok", "gauge", "1 when the LAN address answered a ping in the last verify run"),
    ("wirefleet_verify_timestamp_seconds", "gauge", "Unix time of the verify run that wrote this file"),
)


def textfile(expected, handshakes, transfers, pinged, lan_results, now):
    """node_exporter textfile collector text: per peer handshake time and age, transfer counters and the ping
    result; per LAN probe its result. pinged maps "interface/peer" to True/False (absent: not pinged)."""
    stamps, counters = _columns(handshakes), _columns(transfers)
    samples = {metric[0]: [] for metric in METRICS}
    for peer in expected:
        labels = 'interface="%s",peer="%s",public_key="%s"' % (
            _label(peer["interface"]), _label(peer["name"]), _label(peer["key"]))
        stamp = (stamps.get(peer["key"]) or [0])[0]
        received, sent = (counters.get(peer["key"]) or [0, 0])[:2]
        samples["wirefleet_peer_last_handshake_seconds"].append((labels, stamp))
        samples["wirefleet_peer_handshake_age_seconds"].append((labels, now - stamp if stamp else -1))
        samples["wirefleet_peer_receive_bytes_total"].append((labels, received))
        samples["wirefleet_peer_transmit_bytes_total"].append((labels, sent))
        key = "%s/%s" % (peer["interface"], peer["name"])
        if key in pinged:
            samples["wirefleet_peer_ping_ok"].append((labels, int(bool(pinged[key]))))
    for probe in lan_results:
        labels = 'address="%s",gateway="%s"' % (_label(probe["address"]), _label(probe["gateway"]))
        samples["wirefleet_lan_probe_ok"].append((labels, int(bool(probe["ok"]))))
    samples["wirefleet_verify_timestamp_seconds"].append(("", now))
    lines = []
    for name, kind, text in METRICS:
        if not samples[name]:
            continue
        lines += ["# HELP %s %s" % (name, text), "# TYPE %s %s" % (name, kind)]
        lines += ["%s{%s} %d" % (name, labels, value) if labels else "%s %d" % (name, value)
                  for labels, value in samples[name]]
    return "\n".join(lines) + "\n"
