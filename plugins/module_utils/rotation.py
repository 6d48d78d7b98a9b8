# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key rotation (playbooks/rotate.yml): which keys to make, switch and record, and when a rotation is finished.

A rotation of <host>/<network> begins when the store records the host's current public key as its previous
one (previous/<host>/<network>.pub) and ends when every peer has the new key; until then the store keeps the
previous key, and any later rotate.yml run completes the rotation instead of starting another one: it
switches the next key the host already holds (or finds it switched) and updates the peers. So a run
interrupted at any point (`--limit hub`, a kill after the hub's switch) is completed by the next one with
the same new key, and never rotates twice what one request asked for.

Managed hosts make their next key themselves (wg_key next_key=prepare, <dir>/<if>.key.next); the controller
makes the new keys of unmanaged devices and the new preshared keys of every pair with a rotated host.
Everything here works on the fleet (wirefleet.wireguard.fleet) and the store lookup's result: no Ansible.
"""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.module_utils.converged import host_digest


class RotationError(ValueError):
    """The request names hosts the fleet does not have, or hosts that cannot be rotated."""


def requested_hosts(fleet, requested):
    """The host names of wireguard_rotate_hosts: 'all', 'a,b' or a list (or nothing); each must have an interface."""
    hosts = fleet["hosts"]
    with_interfaces = sorted(name for name, entry in hosts.items() if entry.get("interfaces"))
    if isinstance(requested, str):
        names = [part.strip() for part in requested.split(",") if part.strip()]
    else:
        names = [str(part).strip() for part in requested or []]
    if names == ["all"]:
        return with_interfaces
    unknown = sorted(set(names) - set(with_interfaces))
    if unknown:
        raise RotationError("rotate: wireguard_rotate_hosts names %s, which %s no WireGuard interface in this fleet "
                            "(hosts with one: %s)" % (", ".join(unknown), "has" if len(unknown) == 1 else "have",
                                                      ", ".join(with_interfaces) or "none"))
    return sorted(set(names))


def _interfaces(entry):
    """{network: interface} of a host's entry."""
    return {data["network"]: name for name, data in sorted((entry.get("interfaces") or {}).items())}


def _add(mapping, host, interface, network):
    item = {"interface": interface, "network": network}
    if item not in mapping.setdefault(host, []):
        mapping[host].append(item)


def plan(fleet, requested, store, required=True, reached=None):
    """What rotate.yml does: {prepare, switch: {host: [{interface, network}]}, begin, devices, pending: ['<host>/<network>'],
    preshared_keys: [id], rotated: [host], in_sync: [host], notes: [line], not_reached: [line]}.

    prepare: managed hosts that make (or reuse) their next key; switch: managed hosts whose next key replaces
    the current one (new and unfinished rotations); begin: rotations that start now (the store records the
    previous key); devices: unmanaged devices whose new key the controller makes; pending: rotations an
    earlier run began and did not finish; preshared_keys: the keys of every pair with a host rotated now;
    in_sync: managed hosts converged to the fleet as it is before the rotation (store's converged record), so
    the run may record them as converged afterwards. With required, a request of no hosts is refused unless an
    earlier rotation is unfinished (rotate.yml then only completes it); site.yml passes required=False. With
    reached (the hosts still in the play after they made their next key), a managed host not reached begins no
    rotation, and the preshared keys of its pairs stay: its peers would get keys it does not have.
    """
    hosts = fleet["hosts"]
    previous = store.get("previous_keys") or {}
    result = {"prepare": {}, "switch": {}, "begin": [], "devices": [], "pending": [], "preshared_keys": [],
              "rotated": [], "in_sync": [], "notes": [], "not_reached": []}
    psks = set()
    for host in requested_hosts(fleet, requested):
        entry = hosts[host]
        for network, interface in _interfaces(entry).items():
            key_id = "%s/%s" % (host, network)
            if network in previous.get(host, {}):
                result["notes"].append("%s: completing the rotation of its %s key an earlier run began; it is not "
                                       "rotated again (run rotate.yml once more for a newer key)" % (host, network))
                continue
            if entry.get("managed") and reached is not None and host not in reached:
                result["not_reached"].append("%s: not reached, so its %s key is not rotated; run rotate.yml again "
                                             "for it" % (host, network))
                continue
            result["begin"].append(key_id)
            if entry.get("managed"):
                _add(result["prepare"], host, interface, network)
            else:
                result["devices"].append(key_id)
            psks.update(peer["preshared_key_id"] for peer in entry["interfaces"][interface]["peers"]
                        if peer.get("preshared_key_id"))
    for host, networks in sorted(previous.items()):
        interfaces = _interfaces(hosts.get(host) or {})
        for network in sorted(networks):
            if network in interfaces:
                result["pending"].append("%s/%s" % (host, network))
    for key_id in result["begin"] + result["pending"]:
        host, network = key_id.split("/", 1)
        if hosts[host].get("managed"):
            _add(result["switch"], host, _interfaces(hosts[host])[network], network)
        if host not in result["rotated"]:
            result["rotated"].append(host)
    result["rotated"].sort()
    if required and not result["rotated"]:
        raise RotationError("rotate: set wireguard_rotate_hosts to the hosts whose keys to rotate "
                            "(-e wireguard_rotate_hosts=hub,laptop or =all); no earlier rotation is unfinished")
    result["preshared_keys"] = sorted(psks)
    converged = store.get("converged") or {}
    result["in_sync"] = sorted(host for host, entry in hosts.items()
                               if entry.get("managed") and converged.get(host) == host_digest(entry))
    return result


def _peers_of(fleet, host, network):
    """The hosts that have <host> as a peer on <network>."""
    peers = []
    for name, entry in sorted(fleet["hosts"].items()):
        for data in (entry.get("interfaces") or {}).values():
            if data["network"] == network and any(peer["name"] == host for peer in data["peers"]):
                peers.append(name)
    return peers


def _device_file(host, interface):
    return "devices/%s/%s.conf (or its QR code)" % (host, interface)


def outcome(fleet, rotation, updated_hosts):
    """{finished: ['<host>/<network>'], waiting: {'<host>/<network>': [host]}, lines: [line]} after the run.

    A rotation is finished once the host (when managed) and every managed peer were updated in this run
    (updated_hosts: ansible_play_hosts at the end); unmanaged devices cannot confirm anything, so their new
    configs are rendered and a line says which device needs its new config.
    """
    hosts = fleet["hosts"]
    updated = set(updated_hosts or ())
    result = {"finished": [], "waiting": {}, "lines": []}
    told = set()
    for key_id in sorted(set(rotation["begin"]) | set(rotation["pending"])):
        host, network = key_id.split("/", 1)
        interfaces = _interfaces(hosts.get(host) or {})
        if network not in interfaces:
            continue
        peers = _peers_of(fleet, host, network)
        missing = [name for name in [host] + peers if hosts[name].get("managed") and name not in updated]
        if missing:
            result["waiting"][key_id] = missing
            result["lines"].append("%s: its %s key is rotated, but %s not updated yet: run rotate.yml again (it "
                                   "completes this rotation), or site.yml" % (host, network, ", ".join(missing)))
        else:
            result["finished"].append(key_id)
        if not hosts[host].get("managed") and (host, network) not in told:
            told.add((host, network))
            result["lines"].append("%s: has a new %s key: load its new config on the device, %s"
                                   % (host, network, _device_file(host, interfaces[network])))
        for peer in peers:
            if not hosts[peer].get("managed") and (peer, network) not in told:
                told.add((peer, network))
                result["lines"].append("%s: %s's %s key changed: load its new config on the device, %s"
                                       % (peer, host, network, _device_file(peer, _interfaces(hosts[peer])[network])))
    return result
