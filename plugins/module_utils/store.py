# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side store: what must outlive a run and must not depend on reaching a host.

Layout below the store directory:
  public/<host>/<network>.pub   public keys, written when a host's key is made (or rendered)
  previous/<host>/<network>.pub the public key a host had before its key was rotated (rotate.yml), kept
                                until every peer has the new one: while it exists, the rotation is unfinished
  leases.json                   tunnel addresses handed out automatically, so nobody is renumbered
  converged.json                digest of each host's configuration at its last converge (converged.py)
  private/<host>/<network>.key  private keys of devices Ansible cannot reach (0600)
  psk/<network>/<a>--<b>.psk    preshared keys, one per peer pair (0600)
  devices/<host>/<interface>.*  rendered configs and QR codes of those devices (0600)

Where it lives (docs/store.md): by default `<inventory dir>/.wirefleet-store`. Ansible parses every file
below an inventory directory as inventory, so a store it can reach turns each key file into a host named
after the key and leases.json's networks into groups; its loader never enters a name starting with '.',
whatever the configuration. store_location picks the path (and finds the old default to move from) and
inventory_problem refuses a store Ansible would read. Both only look at paths: no Ansible here.
"""

from __future__ import annotations

import json
import os
import re

STORE_DIR_NAME = ".wirefleet-store"
CONVERGED_FILE = "converged.json"
PUBLIC_DIR = "public"
PREVIOUS_DIR = "previous"
PRIVATE_DIR = "private"
PSK_DIR = "psk"
# The old default, which Ansible parsed as inventory whenever the inventory source was a directory.
OLD_STORE_DIR_NAME = "wirefleet-store"
# Names ansible-core's InventoryManager.parse_source never descends into or parses, in any configuration
# (IGNORED_ALWAYS in ansible/inventory/manager.py). INVENTORY_IGNORE_PATTERNS and INVENTORY_IGNORE_EXTS
# add to them; loader_ignores builds the same expression the loader applies, with re.search, to each name.
LOADER_ALWAYS_IGNORED = (r"^\.", r"^host_vars$", r"^group_vars$", r"^vars_plugins$")
# Directories next to an inventory source from which the host_group_vars plugin loads variable files.
VARS_DIRS = ("group_vars", "host_vars")


class StoreLocationError(ValueError):
    """The store has no default place (no inventory directory), or Ansible would read it as inventory."""


def loader_ignores(patterns=(), extensions=()):
    """The expression InventoryManager applies (re.search) to every name in an inventory directory.

    patterns and extensions are the INVENTORY_IGNORE_PATTERNS and INVENTORY_IGNORE_EXTS settings.
    """
    parts = list(LOADER_ALWAYS_IGNORED) + list(patterns) + [re.escape(ext) + "$" for ext in extensions]
    return re.compile("|".join(parts))


def inventory_dir(inventory_sources):
    """The directory the first inventory source is, or holds it: where the default store lives."""
    first = inventory_sources[0] if inventory_sources else ""
    if os.path.isdir(first):
        return os.path.abspath(first)
    if os.path.isfile(first):
        return os.path.dirname(os.path.abspath(first))
    raise StoreLocationError(
        "the first inventory source %r is no file or directory, so there is no inventory directory to keep the "
        "controller store in: set wireguard_store_dir to a directory outside the inventory" % first)


def store_location(configured, inventory_sources):
    """(absolute store path, the old default store to move from or None).

    A configured path is used as it is (relative to the working directory); only the default location has
    an old place to migrate from: `<inventory dir>/wirefleet-store`, when it is a directory.
    """
    if configured:
        return os.path.abspath(os.path.expanduser(configured)), None
    base = inventory_dir(inventory_sources)
    old = os.path.join(base, OLD_STORE_DIR_NAME)
    return os.path.join(base, STORE_DIR_NAME), (old if os.path.isdir(old) else None)


def old_default_store(inventory_sources):
    """`<inventory dir>/wirefleet-store` if it is a directory (a leftover when wireguard_store_dir is set), or None."""
    try:
        old = os.path.join(inventory_dir(inventory_sources), OLD_STORE_DIR_NAME)
    except StoreLocationError:
        return None
    return old if os.path.isdir(old) else None


def _within(path, folder):
    """path is folder or below it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _existing_part(path):
    """(the deepest existing directory of path, as a real path; the names of the missing steps below it)."""
    missing = []
    while not os.path.lexists(path) and os.path.dirname(path) != path:
        path, name = os.path.split(path)
        missing.insert(0, name)
    return os.path.realpath(path), missing


def _loader_paths(source, ignored, seen):
    """Every path InventoryManager.parse_source hands to its plugins or descends into, for one source.

    It lists a directory (following symbolic links), skips names the ignore expression finds, and recurses;
    any other path is parsed. `seen` stops symbolic-link loops, which would stop Ansible too.
    """
    yield source
    if not os.path.isdir(source):
        return
    real = os.path.realpath(source)
    if real in seen:
        return
    seen.add(real)
    try:
        names = sorted(os.listdir(source))
    except OSError:
        return
    for name in names:
        if not ignored.search(name):
            yield from _loader_paths(os.path.join(source, name), ignored, seen)


def _loader_route(store, source, ignored):
    """The path through which Ansible's inventory loader reaches the store (or would, once it is made), or None."""
    existing, missing = _existing_part(store)
    if any(ignored.search(name) for name in missing):
        return None
    for path in _loader_paths(source, ignored, set()):
        real = os.path.realpath(path)
        if (missing and real == existing) or (not missing and _within(real, existing)):
            return path
    return None


def _source_problem(store, source, ignored):
    """Why Ansible would read the store (or part of it) through this inventory source, or None."""
    real_store = os.path.realpath(store)
    real_source = os.path.realpath(source)
    if _within(real_source, real_store):
        return "the inventory source %s is inside it" % source
    base = real_source if os.path.isdir(source) else os.path.dirname(real_source)
    for folder in VARS_DIRS:
        if _within(real_store, os.path.join(base, folder)):
            return ("it is below %s, from which Ansible loads variable files (leases.json among them)"
                    % os.path.join(base, folder))
    if not os.path.isdir(source):
        return None  # a file source: Ansible parses that file only
    route = _loader_route(store, source, ignored)
    if route is None:
        return None
    on_the_way = _within(store, route) or _within(route, store)
    via = "" if on_the_way else " (through %s)" % route
    return "it is below the inventory directory %s, all of whose files Ansible parses%s" % (source, via)


def inventory_problem(store, inventory_sources, ignored=None):
    """A message saying why Ansible would read the store as inventory and how to fix it, or None.

    The store is read when it lies below a directory source and no step on the way is a name the loader
    skips (ignored: loader_ignores(...); default: the always-skipped names only), also through symbolic
    links; when an inventory source lies inside the store; or when it is below the group_vars/ or host_vars/
    next to a source. A file source is parsed alone, so a store beside it is fine. Sources that are no path
    (`-i host1,host2,`) read nothing.
    """
    ignored = ignored if ignored is not None else loader_ignores()
    store = os.path.abspath(store)
    for source in inventory_sources:
        if not os.path.exists(source):
            continue
        reason = _source_problem(store, os.path.abspath(source), ignored)
        if reason:
            return _problem_message(store, reason, source, inventory_sources)
    return None


def _problem_message(store, reason, source, inventory_sources):
    fix = "set wireguard_store_dir to a directory outside the inventory source %s" % source
    try:
        default = os.path.join(inventory_dir(inventory_sources), STORE_DIR_NAME)
    except StoreLocationError:
        default = None
    if default and default != store:
        fix = "unset wireguard_store_dir to use the default %s, or %s" % (default, fix)
    return ("controller store: Ansible would read %s as inventory: %s. Read as inventory, every key file in a "
            "store becomes a host named after the key (private keys in play output and logs) and leases.json's "
            "networks become groups. Move it, keys and all, where Ansible does not look: %s." % (store, reason, fix))


def public_key_path(store, host, network):
    """public/<host>/<network>.pub: the key every peer of the host uses."""
    return os.path.join(store, PUBLIC_DIR, host, network + ".pub")


def previous_key_path(store, host, network):
    """previous/<host>/<network>.pub: the host's key before an unfinished rotation."""
    return os.path.join(store, PREVIOUS_DIR, host, network + ".pub")


def private_key_path(store, host, network):
    """private/<host>/<network>.key: the private key of an unmanaged device."""
    return os.path.join(store, PRIVATE_DIR, host, network + ".key")


def preshared_key_path(store, psk_id):
    """psk/<network>/<a>--<b>.psk of a preshared key id '<network>/<a>--<b>' (checked by the caller)."""
    return os.path.join(store, PSK_DIR, psk_id + ".psk")


def _read_keys(base):
    """{host: {network: key}} of <base>/<host>/<network>.pub."""
    keys = {}
    if not os.path.isdir(base):
        return keys
    for host in sorted(os.listdir(base)):
        folder = os.path.join(base, host)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".pub"):
                with open(os.path.join(folder, name), encoding="ascii") as handle:
                    keys.setdefault(host, {})[name[:-4]] = handle.read().strip()
    return keys


def read_public_keys(store):
    return _read_keys(os.path.join(store, PUBLIC_DIR))


def read_previous_keys(store):
    """{host: {network: public key before its rotation}} of the rotations not finished yet."""
    return _read_keys(os.path.join(store, PREVIOUS_DIR))


def read_leases(store):
    path = os.path.join(store, "leases.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_converged(store):
    """{host: digest of its configuration at its last converge} (see converged.py); {} before the first run."""
    path = os.path.join(store, CONVERGED_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_store(store):
    return {"public_keys": read_public_keys(store), "leases": read_leases(store), "converged": read_converged(store),
            "previous_keys": read_previous_keys(store)}
