# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What verify.yml expects of one host: the peers it must have a recent handshake with, the LAN addresses it
must reach and, for full-tunnel clients, the address their traffic must leave their exit gateway with."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import (
    control_characters,
    ip_address,
    is_hostname,
)


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


# wireguard_exit_probe_url: an http(s) URL of a "what is my IP" service, fetched from a full-tunnel client.
# Strict on purpose: scheme, host (RFC 1123 name, IPv4, [IPv6]), optional port, path and query of RFC 3986
# characters; no user or password (the URL is shown in findings and logs), no fragment, no spaces or control
# characters; applied with fullmatch, so a trailing newline never slips through.
PROBE_URL_RULE = ("an http:// or https:// URL of a service that answers with the caller's address, e.g. "
                  "https://ifconfig.me/ip: host name, IPv4 or [IPv6] address, optional port, path and query; "
                  "no user or password, no fragment, no spaces")
_URL_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
PROBE_URL_RE = re.compile(r"(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?"
                          r"(?P<path>(?:/%s*)*)(?:\?(?P<query>(?:%s|[/?])*))?" % (_URL_CHAR, _URL_CHAR))
PROBE_URL_MAX = 2048


def _shown(value):
    """A value as an error message shows it: repr (control characters escaped), at most 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def probe_url_problem(value):
    """Why value is not a valid wireguard_exit_probe_url ('' when it is one)."""
    if not isinstance(value, str):
        return "must be a URL as text, not %s" % type(value).__name__
    unsafe = control_characters(value)
    if unsafe:
        return "contains control characters (%s)" % ", ".join(unsafe)
    if len(value) > PROBE_URL_MAX:
        return "is longer than %d characters" % PROBE_URL_MAX
    if any(char.isspace() for char in value):
        return "contains spaces"
    scheme, separator, rest = value.partition("://")
    if not separator or scheme not in ("http", "https"):
        return "must start with http:// or https://"
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        return "must not carry a user or password (the URL is shown in findings and logs)"
    if "#" in rest:
        return "must not have a fragment (#...)"
    found = PROBE_URL_RE.fullmatch(value)
    if found is None:
        return "is not " + PROBE_URL_RULE
    host = found.group("host")
    if host.startswith("["):
        parsed = ip_address(host[1:-1])
        if parsed is None or parsed.version != 6:
            return "host %s is not an IPv6 address" % host
    elif ip_address(host) is None and not is_hostname(host):
        return "host %s is neither a host name nor an IPv4 address" % _shown(host)
    port = found.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return "port %s is not 1-65535" % port
    return ""


def _parse_probe_url(host, value):
    """value if it is a valid wireguard_exit_probe_url, else ValueError naming the host and the variable."""
    problem = probe_url_problem(value)
    if problem:
        raise ValueError("host '%s': wireguard_exit_probe_url %s %s" % (host, _shown(value), problem))
    return value


def _normal(address):
    """An address as text, IPv4-mapped IPv6 (::ffff:a.b.c.d, as dual-stack servers report IPv4) as IPv4."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _endpoint_address(endpoint):
    """The address of a peer's endpoint ('host:port' or '[v6]:port') when it is an IP literal, else None."""
    if not endpoint:
        return None
    return ip_address(endpoint.rsplit(":", 1)[0].strip("[]"))  # the engine always writes a port


def _exit_addresses(gateway, value, endpoint, client):
    """The addresses the gateway's traffic must leave with: its wireguard_exit_probe_address (an address or a
    list), else its endpoint when that is an IP literal; ValueError naming the gateway, the variable and why."""
    if value is None or value == "" or value == []:
        address = _endpoint_address(endpoint)
        if address is None:
            raise ValueError("host '%s': wireguard_exit_probe_address is required: client '%s' probes its exit "
                             "through it (wireguard_exit_probe_url), and its endpoint %s is not an IP address to "
                             "expect; give the address its traffic leaves with (or a list, e.g. IPv4 and IPv6)"
                             % (gateway, client, endpoint or "(none)"))
        return [_normal(address)]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)):
        raise ValueError("host '%s': wireguard_exit_probe_address must be the address its traffic leaves with, "
                         "or a list of them" % gateway)
    addresses = []
    for item in values:
        parsed = ip_address(item)
        if parsed is None:
            raise ValueError("host '%s': wireguard_exit_probe_address %s is not an IP address" % (gateway, _shown(item)))
        if _normal(parsed) not in addresses:
            addresses.append(_normal(parsed))
    return addresses


def exit_probes(fleet, urls, exit_addresses):
    """{host: [{client, interface, gateway, url, expected}]}: what each managed full-tunnel client fetches and the
    addresses the answer must be one of (its exit gateway's).

    urls maps hosts to their wireguard_exit_probe_url (validated wherever it is set; only managed hosts with a
    full tunnel probe), exit_addresses gateways to their wireguard_exit_probe_address. ValueError names the host
    and the variable of a bad value, or of an exit gateway whose address cannot be derived from its endpoint.
    """
    wanted = {name: [] for name, entry in fleet["hosts"].items() if entry["managed"]}
    checked = {host: _parse_probe_url(host, url) for host, url in sorted(urls.items())
               if host in fleet["hosts"] and url is not None and url != ""}
    for host in sorted(wanted):
        if host not in checked:
            continue
        for interface, entry in sorted(fleet["hosts"][host]["interfaces"].items()):
            if not entry.get("full_tunnel"):
                continue
            for peer in entry["peers"]:  # a spoke's one peer: its hub, an exit gateway (wireguard_nat)
                wanted[host].append({
                    "client": host, "interface": interface, "gateway": peer["name"], "url": checked[host],
                    "expected": _exit_addresses(peer["name"], exit_addresses.get(peer["name"]), peer["endpoint"], host),
                })
    return wanted


def _answer(content):
    """(address text or None, what was answered as shown in a finding) of a probe service's body."""
    text = content.strip() if isinstance(content, str) else ""
    parsed = ip_address(text)
    if parsed is not None:
        return _normal(parsed), _normal(parsed)
    return None, _shown(text)


def exit_results(fetched):
    """The judgement of each fetched exit probe: [{client, interface, gateway, url, expected, seen, ok, problem}].

    fetched: [{probe (an exit_probes entry), status (HTTP status, -1 when none), content, msg}]. ok when the
    service answered with one of the expected addresses; problem names the client, the gateway and the
    addresses ('' when ok).
    """
    judged = []
    for result in fetched:
        probe = result["probe"]
        expected = ", ".join(probe["expected"])
        head = "exit probe of %s through exit gateway %s" % (probe["client"], probe["gateway"])
        seen, shown = (None, "")
        if result.get("status") == 200:
            seen, shown = _answer(result.get("content"))
        if seen is not None and seen in probe["expected"]:
            problem = ""
        elif seen is not None:
            problem = ("%s: %s saw %s, expected %s (its traffic does not leave through the gateway's NAT: the full "
                       "tunnel is bypassed or the gateway leaves with another address; wireguard_exit_probe_address "
                       "of %s names the right one)" % (head, probe["url"], seen, expected, probe["gateway"]))
        elif result.get("status") == 200:
            problem = ("%s: %s answered %s, not an IP address (expected %s): not a service that answers with the "
                       "caller's address, or a captive portal" % (head, probe["url"], shown, expected))
        else:
            why = "".join(char for char in " ".join(str(result.get("msg") or "no answer").split())
                          if not control_characters(char))
            status = result.get("status")
            answer = ("%s answered HTTP %d" % (probe["url"], status) if isinstance(status, int) and status > 0
                      else "no answer from %s" % probe["url"])
            problem = ("%s: %s (expected to leave as %s; %s): the gateway's NAT or forwarding, the client's route to "
                       "it or the service is broken" % (head, answer, expected, why[:200]))
        judged.append(dict(probe, seen=seen or "", ok=not problem, problem=problem))
    return judged


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
    ("wirefleet_exit_probe_ok", "gauge", "1 when the exit probe URL, fetched from this host, saw the exit gateway's "
     "address in the last verify run"),
    ("wirefleet_verify_timestamp_seconds", "gauge", "Unix time of the verify run that wrote this file"),
)


def textfile(expected, handshakes, transfers, pinged, lan_results, now, exit_judged=()):
    """node_exporter textfile collector text: per peer handshake time and age, transfer counters and the ping
    result; per LAN probe its result; per exit probe (exit_results) its result, with the address the service
    saw. pinged maps "interface/peer" to True/False (absent: not pinged)."""
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
    for probe in exit_judged:
        labels = 'interface="%s",gateway="%s",expected="%s",seen="%s"' % (
            _label(probe["interface"]), _label(probe["gateway"]), _label(",".join(probe["expected"])),
            _label(probe["seen"]))
        samples["wirefleet_exit_probe_ok"].append((labels, int(bool(probe["ok"]))))
    samples["wirefleet_verify_timestamp_seconds"].append(("", now))
    lines = []
    for name, kind, text in METRICS:
        if not samples[name]:
            continue
        lines += ["# HELP %s %s" % (name, text), "# TYPE %s %s" % (name, kind)]
        lines += ["%s{%s} %d" % (name, labels, value) if labels else "%s %d" % (name, value)
                  for labels, value in samples[name]]
    return "\n".join(lines) + "\n"
