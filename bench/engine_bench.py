#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time and memory of the topology engine (build_fleet) on synthetic fleets.

    make bench                                   # all scenarios, markdown table on stdout
    .venv/bin/python bench/engine_bench.py --only star-10000 --profile 25

Time: best of --repeat runs (time.perf_counter), inputs built outside the timed region.
Memory: peak traced by tracemalloc during one extra run (tracing slows that run; it is not timed).
Every host has a public key in the store, so key validation is part of the cost.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import hashlib
import os
import platform
import pstats
import sys
import time
import tracemalloc

# The checkout is importable as ansible_collections.wirefleet.wireguard through the link `make setup` creates.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".collections"))

from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet  # noqa: E402

PORT = 51820


def key(seed):
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def _host(group, **variables):
    return {"groups": [group], "vars": {"wireguard_" + k: v for k, v in variables.items()}}


def star(count):
    """One hub and count-1 clients on a /16."""
    networks = {"wg0": {"ipv4": "10.8.0.0/16", "port": PORT}}
    hosts = {"hub": _host("wireguard_hubs", endpoint="hub.example.com", nat=True)}
    for i in range(count - 1):
        hosts["client%05d" % i] = _host("wireguard_clients")
    return networks, hosts


def mesh(count):
    """count mesh members, each with an endpoint, on a /16."""
    networks = {"wg0": {"ipv4": "10.8.0.0/16", "port": PORT}}
    hosts = {"node%05d" % i: _host("wireguard_mesh", endpoint="node%05d.example.com" % i) for i in range(count)}
    return networks, hosts


def mixed(hubs=2, gateways=20, clients=2000):
    """Dual-stack network with preshared keys: hubs meshed, gateways with two LANs each, clients split over hubs."""
    networks = {"wg0": {"ipv4": "10.8.0.0/16", "ipv6": "fd00:8::/64", "port": PORT, "preshared_keys": True,
                        "dns": ["10.8.0.1"]}}
    hub_names = ["hub%d" % i for i in range(hubs)]
    hosts = {name: _host("wireguard_hubs", endpoint="%s.example.com" % name, nat=True) for name in hub_names}
    for i in range(gateways):
        hosts["gw%03d" % i] = _host("wireguard_gateways", hub=hub_names[i % hubs],
                                    lans=["192.168.%d.0/24" % i, "172.16.%d.0/24" % i])
    for i in range(clients):
        hosts["client%05d" % i] = _host("wireguard_clients", hub=hub_names[i % hubs], full_tunnel=(i % 10 == 0))
    return networks, hosts


SCENARIOS = [
    ("star-100", "star", lambda: star(100)),
    ("star-1000", "star", lambda: star(1000)),
    ("star-10000", "star", lambda: star(10000)),
    ("mesh-100", "full mesh", lambda: mesh(100)),
    ("mesh-300", "full mesh", lambda: mesh(300)),
    ("mesh-1000", "full mesh", lambda: mesh(1000)),
    ("mixed-2022", "2 hubs + 20 gateways (2 LANs) + 2,000 clients, dual-stack, PSK", mixed),
]


def peer_entries(fleet):
    """(peer entries, AllowedIPs entries) over all hosts and interfaces."""
    peers = [peer for entry in fleet["hosts"].values() for iface in entry["interfaces"].values()
             for peer in iface["peers"]]
    return len(peers), sum(len(peer["allowed_ips"]) for peer in peers)


def measure(make, repeat):
    networks, hosts = make()
    public_keys = {name: {"wg0": key(name)} for name in hosts}
    times = []
    fleet = None
    for _attempt in range(repeat):
        fleet = None
        gc.collect()
        start = time.perf_counter()
        fleet = build_fleet(networks, hosts, public_keys, {})
        times.append(time.perf_counter() - start)
    entries, allowed = peer_entries(fleet)
    fleet = None
    gc.collect()
    tracemalloc.start()
    build_fleet(networks, hosts, public_keys, {})
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"hosts": len(hosts), "entries": entries, "allowed": allowed, "best": min(times), "peak": peak}


def profile(make, top):
    networks, hosts = make()
    public_keys = {name: {"wg0": key(name)} for name in hosts}
    profiler = cProfile.Profile()
    profiler.enable()
    build_fleet(networks, hosts, public_keys, {})
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per scenario (best is reported)")
    parser.add_argument("--only", action="append", help="run only these scenarios (repeatable)")
    parser.add_argument("--profile", type=int, metavar="N", help="instead: cProfile the scenario(s), top N by own time")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s[0] in args.only]
    if args.profile:
        for name, _what, make in chosen:
            print("## cProfile: %s" % name)
            profile(make, args.profile)
        return
    print("Machine: %s, %d CPUs (nproc), Python %s, %s" % (
        platform.machine(), os.cpu_count(), platform.python_version(), platform.platform()))
    print()
    print("| scenario | what | hosts | peer entries | AllowedIPs entries | engine time (best of %d) "
          "| µs / peer entry | µs / AllowedIPs entry | peak memory |" % args.repeat)
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, what, make in chosen:
        result = measure(make, args.repeat)
        print("| %s | %s | %s | %s | %s | %.3f s | %.1f | %.1f | %.1f MiB |" % (
            name, what, format(result["hosts"], ","), format(result["entries"], ","), format(result["allowed"], ","),
            result["best"], result["best"] * 1e6 / max(result["entries"], 1),
            result["best"] * 1e6 / max(result["allowed"], 1), result["peak"] / 2 ** 20), flush=True)


if __name__ == "__main__":
    main()
