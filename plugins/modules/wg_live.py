#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_live
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Bring a running WireGuard interface in line with its wg-quick configuration without dropping tunnels
description:
  - Compares the running interface with C(wg-quick strip) of its configuration file and, when the private
    key, listen port or peers differ, applies them live with C(wg syncconf), which keeps existing sessions.
  - Then reconciles what C(wg syncconf) leaves alone, the interface addresses, the MTU and the routes
    (adds missing routes of O(routes), deletes other routes through the interface).
  - Restarts the C(wg-quick) service only when O(restart_reasons) lists settings wg-quick applies solely
    when it brings the interface up (DNS, a new or dropped default route, hooks).
  - Does nothing when the interface is not up (the service brings it up from the file).
requirements:
  - wireguard-tools and iproute2 on the host
options:
  name:
    description: Interface name.
    type: str
    required: true
  config_dir:
    description: Directory of wg-quick configurations.
    type: path
    default: /etc/wireguard
  addresses:
    description: Addresses of the interface (C(Address) of the config), with prefix length.
    type: list
    elements: str
    default: []
  routes:
    description: Routes through the interface besides its own prefixes and the default route (the engine's C(routes)).
    type: list
    elements: str
    default: []
  mtu:
    description: MTU to set; null leaves the MTU alone.
    type: int
  restart_reasons:
    description: Changed settings that need the interface brought down and up (from M(wirefleet.wireguard.wg_config)).
    type: list
    elements: str
    default: []
  sync:
    description: Apply the file with C(wg syncconf) even when the compared state looks equal (e.g. an endpoint given as a host name changed).
    type: bool
    default: false
  service:
    description: The systemd unit to restart; default C(wg-quick@<name>).
    type: str
  peer_names:
    description: Public key to host name of the peers, so the reasons name a missing or extra peer
      (C(peer laptop missing)) instead of the start of its key.
    type: dict
    default: {}
  start_handshakes:
    description:
      - After C(wg syncconf) changed the private key, added a peer or changed a peer's preshared key, send those
        peers (all of them for a new private key) a keepalive at once, which starts the handshake. Otherwise the
        tunnel waits for the next packet, and a peer whose handshake came too early (it was updated first) retries
        only after 5 s (a key rotation, C(playbooks/rotate.yml)).
      - The keepalive is sent by setting the peer's persistent keepalive from off to on (and back to what the
        configuration says), as WireGuard sends one whenever that setting is turned on. A new peer without an
        endpoint that replaces a peer with the same AllowedIPs (a client whose key was rotated) gets the endpoint
        the old peer roamed to, so a hub can reach the client at once.
    type: bool
    default: true
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Apply wg0 live
  wirefleet.wireguard.wg_live:
    name: wg0
    addresses: [10.8.0.1/24]
    routes: [192.168.1.0/24]
    restart_reasons: "{{ wg0_config.restart_reasons }}"
    sync: "{{ wg0_config.changed }}"
"""

RETURN = r"""
action:
  description: "C(none), C(syncconf) (key, port or peers applied live), C(reconciled) (only addresses, routes or MTU fixed),
    C(restart), or C(down) (interface not up: nothing to do)."
  type: str
  returned: always
reasons:
  description: Why the action was taken.
  type: list
  elements: str
  returned: always
addresses_added:
  description: Addresses added to the interface.
  type: list
  elements: str
  returned: always
addresses_removed:
  description: Addresses removed from the interface.
  type: list
  elements: str
  returned: always
routes_added:
  description: Routes added through the interface.
  type: list
  elements: str
  returned: always
routes_removed:
  description: Stale routes deleted from the interface.
  type: list
  elements: str
  returned: always
mtu_set:
  description: Whether the MTU was changed.
  type: bool
  returned: always
handshakes_started:
  description: Peers (names, or the start of their key) sent a keepalive to start a handshake.
  type: list
  elements: str
  returned: always
"""

import ipaddress
import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import normal_cidr, parse, split_list


def _run(module, args, data=None, check=True):
    rc, out, err = module.run_command(args, data=data, binary_data=False)
    if check and rc != 0:
        module.fail_json(msg="wg_live: %s failed: %s" % (" ".join(args[:4]), (err or out).strip()), rc=rc)
    return rc, out


def _network(text):
    return str(ipaddress.ip_network(normal_cidr(text), strict=False))


def _endpoint_is_literal(endpoint):
    host = endpoint.rsplit(":", 1)[0].strip("[]")
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _normal_endpoint(endpoint):
    host, port = endpoint.rsplit(":", 1)
    addr = ipaddress.ip_address(host.strip("[]"))
    return ("[%s]:%s" if addr.version == 6 else "%s:%s") % (addr, port)


def _wanted_peers(peers):
    wanted = {}
    for peer in peers:
        key = (peer.get("publickey") or [""])[0]
        endpoint = (peer.get("endpoint") or [None])[0]
        wanted[key] = {
            "psk": (peer.get("presharedkey") or [None])[0],
            "allowed": sorted(_network(c) for c in split_list(peer.get("allowedips"))),
            "keepalive": int((peer.get("persistentkeepalive") or ["0"])[0].replace("off", "0") or 0),
            "endpoint": _normal_endpoint(endpoint) if endpoint and _endpoint_is_literal(endpoint) else None,
            "endpoint_name": bool(endpoint) and not _endpoint_is_literal(endpoint),
        }
    return wanted


def _live_peers(lines):
    live = {}
    for line in lines:
        fields = line.split("\t")
        if len(fields) < 8:
            continue
        key, psk, endpoint, allowed, _handshake, _rx, _tx, keepalive = fields[:8]
        live[key] = {
            "psk": None if psk == "(none)" else psk,
            "allowed": sorted(_network(c) for c in allowed.split(",") if c and c != "(none)"),
            "keepalive": 0 if keepalive == "off" else int(keepalive),
            "endpoint": None if endpoint == "(none)" else _normal_endpoint(endpoint),
        }
    return live


def _peer_name(key, names):
    """The peer's host name where the caller gave one (for the run's report), else the start of its key."""
    name = names.get(key)
    return name if isinstance(name, str) and name.isprintable() and name else "%s..." % key[:8]


def _peer_differences(wanted, live, names=None):
    names = names or {}
    reasons = []
    reasons.extend("peer %s missing" % _peer_name(key, names) for key in sorted(set(wanted) - set(live)))
    reasons.extend("peer %s not in the configuration" % _peer_name(key, names) for key in sorted(set(live) - set(wanted)))
    for key, want in wanted.items():
        have = live.get(key)
        if have is None:
            continue
        for field in ("psk", "allowed", "keepalive"):
            if want[field] != have[field]:
                reasons.append("peer %s...: %s" % (key[:8], "preshared key" if field == "psk" else field))
        if want["endpoint"] is not None and want["endpoint"] != have["endpoint"]:
            reasons.append("peer %s...: endpoint" % key[:8])
    return reasons


def _pinned_port(stripped, interface, port):
    """The stripped config with the running listen port added when it sets none. Otherwise wireguard-go binds a
    new random port on every `wg syncconf`, and the peers' learned endpoint of this host goes stale (a hub could
    not reach a client until the client's next keepalive)."""
    if interface.get("listenport") or not str(port).isdigit() or int(port) == 0:
        return stripped
    head, marker, rest = stripped.partition("[Interface]\n")
    return head + marker + "ListenPort = %d\n" % int(port) + rest if marker else stripped


def _sessions_reset(key_changed, wanted, live):
    """Public keys of the peers whose session `wg syncconf` ends: new peers, changed preshared keys, and all of
    them when the interface's private key changed."""
    return sorted(key for key, want in wanted.items()
                  if key_changed or key not in live or want["psk"] != live[key]["psk"])


def _replaced_endpoints(wanted, live):
    """{new public key: endpoint} for peers that replace a live peer with the same AllowedIPs (a rotated key) and
    have no endpoint of their own: a hub's client roams, so only the old peer knows where it is now."""
    gone = {tuple(have["allowed"]): have["endpoint"] for key, have in live.items() if key not in wanted and have["endpoint"]}
    return {key: gone[tuple(want["allowed"])] for key, want in wanted.items()
            if key not in live and not want["endpoint"] and not want["endpoint_name"] and tuple(want["allowed"]) in gone}


def _keepalive_toggle(keys, wanted, endpoints=None):
    """`wg set` arguments sending each peer one keepalive now: persistent keepalive off, then on, then as wanted
    (WireGuard sends a keepalive whenever the setting goes from off to on; one command, applied in order), to
    the endpoint of the peer it replaces when it has none."""
    args = []
    for key in keys:
        if key in (endpoints or {}):
            args += ["peer", key, "endpoint", endpoints[key]]
        args += ["peer", key, "persistent-keepalive", "off", "peer", key, "persistent-keepalive", "1"]
        if wanted[key]["keepalive"] != 1:
            args += ["peer", key, "persistent-keepalive", str(wanted[key]["keepalive"] or "off")]
    return args


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "config_dir": {"type": "path", "default": "/etc/wireguard"},
            "addresses": {"type": "list", "elements": "str", "default": []},
            "routes": {"type": "list", "elements": "str", "default": []},
            "mtu": {"type": "int"},
            "restart_reasons": {"type": "list", "elements": "str", "default": []},
            "sync": {"type": "bool", "default": False},
            "service": {"type": "str"},
            "peer_names": {"type": "dict", "default": {}},
            "start_handshakes": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    name = params["name"]
    ip = module.get_bin_path("ip", required=True)
    result = {"changed": False, "action": "none", "reasons": [], "addresses_added": [], "addresses_removed": [],
              "routes_added": [], "routes_removed": [], "mtu_set": False, "handshakes_started": []}

    rc, out = _run(module, [ip, "-j", "link", "show", "dev", name], check=False)
    if rc != 0:
        result["action"] = "down"
        module.exit_json(**result)
    link = json.loads(out)[0]
    wg = module.get_bin_path("wg", required=True)

    if params["restart_reasons"]:
        result.update(changed=True, action="restart", reasons=list(params["restart_reasons"]))
        if not module.check_mode:
            systemctl = module.get_bin_path("systemctl", required=True)
            service = params["service"] or "wg-quick@%s" % name
            _run(module, [systemctl, "stop", service], check=False)
            # wg-quick down reads the new file: with DNS gone from it, the old resolvconf entry would stay.
            resolvconf = module.get_bin_path("resolvconf")
            if resolvconf and "DNS" in params["restart_reasons"]:
                for entry in ("tun." + name, name):
                    _run(module, [resolvconf, "-d", entry, "-f"], check=False)
            rc, _out = _run(module, [systemctl, "start", service], check=False)
            if rc != 0:
                journal = module.get_bin_path("journalctl")
                log = _run(module, [journal, "-u", service, "-n", "15", "--no-pager", "-o", "cat"], check=False)[1] if journal else ""
                module.fail_json(msg="wg_live: restarting %s for %s failed; the interface is down. Last log lines:\n%s"
                                 % (service, ", ".join(params["restart_reasons"]), log.strip()), rc=rc)
        module.exit_json(**result)

    wg_quick = module.get_bin_path("wg-quick", required=True)
    path = os.path.join(params["config_dir"], name + ".conf")
    _rc, stripped = _run(module, [wg_quick, "strip", path])
    interface, peers = parse(stripped)
    _rc, dump = _run(module, [wg, "show", name, "dump"])
    dump_lines = dump.splitlines()
    own = dump_lines[0].split("\t") if dump_lines else ["", "", "0", "off"]
    reasons = []
    if (interface.get("privatekey") or [None])[0] != own[0]:
        reasons.append("private key")
    if interface.get("listenport") and int(interface["listenport"][0]) != int(own[2]):
        reasons.append("listen port")
    wanted = _wanted_peers(peers)
    live = _live_peers(dump_lines[1:])
    reasons.extend(_peer_differences(wanted, live, params["peer_names"]))
    if not reasons and params["sync"] and any(p["endpoint_name"] for p in wanted.values()):
        reasons.append("configuration changed (endpoints given by name)")
    if reasons:
        result.update(changed=True, action="syncconf", reasons=reasons)
        reset = _sessions_reset("private key" in reasons, wanted, live) if params["start_handshakes"] else []
        result["handshakes_started"] = [_peer_name(key, params["peer_names"]) for key in reset]
        if not module.check_mode:
            _run(module, [wg, "syncconf", name, "/dev/stdin"], data=_pinned_port(stripped, interface, own[2]))
            if reset:
                _run(module, [wg, "set", name] + _keepalive_toggle(reset, wanted, _replaced_endpoints(wanted, live)))

    if params["mtu"] and int(link.get("mtu", 0)) != params["mtu"]:
        result.update(changed=True, mtu_set=True)
        result["reasons"] = result["reasons"] + ["MTU %s -> %s" % (link.get("mtu"), params["mtu"])]
        if not module.check_mode:
            _run(module, [ip, "link", "set", "dev", name, "mtu", str(params["mtu"])])

    _rc, out = _run(module, [ip, "-j", "address", "show", "dev", name])
    live_addresses = []
    for info in (json.loads(out) or [{}])[0].get("addr_info", []):
        if info.get("scope") == "link":
            continue
        live_addresses.append(normal_cidr("%s/%s" % (info["local"], info["prefixlen"])))
    wanted_addresses = [normal_cidr(a) for a in params["addresses"]]
    for address in wanted_addresses:
        if address not in live_addresses:
            result["addresses_added"].append(address)
            result["reasons"] = result["reasons"] + ["address %s added" % address]
            if not module.check_mode:
                _run(module, [ip, "-6" if ":" in address else "-4", "address", "add", address, "dev", name])
    for address in live_addresses:
        if address not in wanted_addresses:
            result["addresses_removed"].append(address)
            result["reasons"] = result["reasons"] + ["address %s removed" % address]
            if not module.check_mode:
                _run(module, [ip, "-6" if ":" in address else "-4", "address", "del", address, "dev", name])

    wanted_routes = [_network(r) for r in params["routes"]]
    live_routes = []
    for family in ("-4", "-6"):
        _rc, out = _run(module, [ip, "-j", family, "route", "show", "dev", name, "table", "main"])
        for route in json.loads(out or "[]"):
            dst = route.get("dst", "")
            if route.get("protocol") == "kernel" or route.get("type", "unicast") != "unicast" or dst == "default":
                continue
            net = _network(dst)
            if ipaddress.ip_network(net).is_link_local or ipaddress.ip_network(net).is_multicast:
                continue
            live_routes.append(net)
    # A route the kernel made for a just-added address counts as connected, not as stale.
    connected = {str(ipaddress.ip_interface(a).network) for a in wanted_addresses}
    for route in wanted_routes:
        if route not in live_routes:
            result["routes_added"].append(route)
            if not module.check_mode:
                _run(module, [ip, "-6" if ":" in route else "-4", "route", "add", route, "dev", name])
    for route in live_routes:
        if route not in wanted_routes and route not in connected:
            result["routes_removed"].append(route)
            if not module.check_mode:
                _run(module, [ip, "-6" if ":" in route else "-4", "route", "del", route, "dev", name])

    if result["mtu_set"] or result["addresses_added"] or result["addresses_removed"] or result["routes_added"] or result["routes_removed"]:
        result["changed"] = True
        if result["action"] == "none":
            result["action"] = "reconciled"
    module.exit_json(**result)


if __name__ == "__main__":
    main()
