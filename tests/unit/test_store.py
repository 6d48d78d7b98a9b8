# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the controller store lives: never where Ansible reads it as inventory (issue #11).

The path rules of plugins/module_utils/store.py are checked against ansible-core's own InventoryManager:
a store planted where inventory_problem says Ansible reads it does add hosts named after its keys, and one
planted where it says nothing does not. The action plugin and render.yml run through the real Ansible CLI.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess

import pytest
from ansible.inventory.manager import IGNORED, InventoryManager
from ansible.parsing.dataloader import DataLoader

from ansible_collections.wirefleet.wireguard.plugins.module_utils.store import (
    OLD_STORE_DIR_NAME,
    STORE_DIR_NAME,
    StoreLocationError,
    inventory_problem,
    loader_ignores,
    preshared_key_path,
    previous_key_path,
    private_key_path,
    public_key_path,
    read_store,
    store_location,
)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANSIBLE_BIN = os.path.join(ROOT, ".venv", "bin")
HOSTS_YML = """\
all:
  children:
    wireguard_hubs:
      hosts:
        vps:
          wireguard_endpoint: vps.example.com
    wireguard_clients:
      hosts:
        laptop:
        phone:
          wireguard_managed: false
"""
NETWORKS_YML = "wireguard_networks:\n  wg0:\n    ipv4: 10.0.0.0/24\n    port: 51820\n"
INVENTORY_HOSTS = ["laptop", "phone", "vps"]
INVENTORY_GROUPS = ["all", "ungrouped", "wireguard_clients", "wireguard_hubs"]
# Fake but key-shaped: base64 of 32 bytes, like `wg genkey` output.
PUBLIC_KEY = "TmV2ZXIgYSBob3N0OiB0aGlzIGlzIGEgcHVibGljIGs="
PRIVATE_KEY = "UHJpdmF0ZSBrZXkgb2YgdGhlIHBob25lLCBzZWNyZXQ="
PSK = "UHJlc2hhcmVkIGtleSBvZiBhIHBlZXIgcGFpciAhISE="


def make_inventory(folder):
    """A directory inventory like inventories/star: hosts.yml and group_vars/all.yml."""
    os.makedirs(os.path.join(folder, "group_vars"))
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write(HOSTS_YML)
    with open(os.path.join(folder, "group_vars", "all.yml"), "w", encoding="utf-8") as handle:
        handle.write(NETWORKS_YML)
    return str(folder)


def make_store(store):
    """A store as site.yml leaves it, with every kind of file: public, private and preshared keys, leases, devices."""
    files = {
        "public/vps/wg0.pub": PUBLIC_KEY,
        "private/phone/wg0.key": PRIVATE_KEY,
        "psk/wg0/phone--vps.psk": PSK,
        "leases.json": '{"wg0": {"laptop": {"ipv4": "10.0.0.7"}, "vps": {"ipv4": "10.0.0.1"}}}',
        "devices/phone/wg0.conf": "[Interface]\nPrivateKey = %s\nAddress = 10.0.0.9/24\n" % PRIVATE_KEY,
    }
    for name, content in files.items():
        path = os.path.join(store, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="ascii") as handle:
            handle.write(content + "\n")
    return str(store)


def ansible_reads(*sources):
    """(host names, group names) as ansible-core's inventory loader builds them from the sources."""
    inventory = InventoryManager(loader=DataLoader(), sources=[str(source) for source in sources])
    return sorted(host.name for host in inventory.get_hosts()), sorted(inventory.groups)


@pytest.fixture
def inventory(tmp_path):
    return make_inventory(tmp_path / "inv")


# --- store_location ---------------------------------------------------------------------------------------

def test_default_store_is_hidden_in_a_directory_inventory(inventory):
    assert store_location(None, [inventory]) == (os.path.join(inventory, STORE_DIR_NAME), None)
    assert STORE_DIR_NAME.startswith(".")


def test_default_store_of_a_file_source_is_beside_the_file(inventory):
    path = store_location("", [os.path.join(inventory, "hosts.yml"), "/elsewhere"])[0]
    assert path == os.path.join(inventory, STORE_DIR_NAME)


def test_old_default_is_found_for_migration_only_when_it_is_a_directory(inventory):
    old = os.path.join(inventory, OLD_STORE_DIR_NAME)
    os.mkdir(old)
    assert store_location(None, [inventory]) == (os.path.join(inventory, STORE_DIR_NAME), old)
    os.rmdir(old)
    open(old, "w", encoding="ascii").close()
    assert store_location(None, [inventory])[1] is None


def test_a_configured_store_is_absolute_and_never_migrated(inventory, monkeypatch, tmp_path):
    os.mkdir(os.path.join(inventory, OLD_STORE_DIR_NAME))
    monkeypatch.chdir(tmp_path)
    assert store_location("mine", [inventory]) == (str(tmp_path / "mine"), None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store_location("~/store", [inventory]) == (str(tmp_path / "home" / "store"), None)


@pytest.mark.parametrize("sources", [[], ["host1,host2,"], ["/no/such/inventory"]])
def test_no_default_without_an_inventory_directory(sources):
    with pytest.raises(StoreLocationError, match="set wireguard_store_dir"):
        store_location(None, sources)


# --- the loader's ignore rules ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [".wirefleet-store", ".git", "host_vars", "group_vars", "vars_plugins",
                                  "wirefleet-store", "store.bak", "notes.md", "hosts.yml", "group_vars_x", "x~"])
def test_ignore_expression_is_the_one_ansible_applies(name):
    from ansible import constants as C
    ours = loader_ignores(C.INVENTORY_IGNORE_PATTERNS, C.INVENTORY_IGNORE_EXTS)
    assert bool(ours.search(name)) == bool(IGNORED.search(name.encode()))


# --- inventory_problem, each case checked against the real inventory loader --------------------------------

def _plant(inventory, relative):
    store = os.path.join(inventory, relative)
    make_store(store)
    return store


@pytest.mark.parametrize("relative", [OLD_STORE_DIR_NAME, "stores/fleet", "wirefleet-store.d"])
def test_store_ansible_parses_is_refused_and_really_parsed(inventory, relative):
    store = _plant(inventory, relative)
    problem = inventory_problem(store, [inventory])
    assert problem and store in problem and inventory in problem
    assert "wireguard_store_dir" in problem and os.path.join(inventory, STORE_DIR_NAME) in problem
    hosts, groups = ansible_reads(inventory)
    assert PUBLIC_KEY in hosts and PRIVATE_KEY in hosts and PSK in hosts  # the defect of issue #11
    assert "wg0" in groups


@pytest.mark.parametrize("relative", [STORE_DIR_NAME, ".stores/fleet", "stores/.fleet"])
def test_store_behind_a_hidden_step_is_accepted_and_really_skipped(inventory, relative):
    store = _plant(inventory, relative)
    assert inventory_problem(store, [inventory]) is None
    assert ansible_reads(inventory) == (INVENTORY_HOSTS, INVENTORY_GROUPS)


def test_configured_ignore_extensions_count(inventory):
    from ansible import constants as C
    store = _plant(inventory, "fleet.bak")
    assert ".bak" in C.INVENTORY_IGNORE_EXTS
    assert inventory_problem(store, [inventory], loader_ignores(extensions=C.INVENTORY_IGNORE_EXTS)) is None
    assert inventory_problem(store, [inventory]) is not None  # the always-ignored names alone do not skip it
    assert ansible_reads(inventory) == (INVENTORY_HOSTS, INVENTORY_GROUPS)


def test_store_not_made_yet_is_judged_by_where_it_will_be(inventory):
    assert inventory_problem(os.path.join(inventory, "new", "store"), [inventory]) is not None
    assert inventory_problem(os.path.join(inventory, ".new", "store"), [inventory]) is None
    assert inventory_problem(os.path.join(inventory, STORE_DIR_NAME), [inventory]) is None


def test_store_beside_a_file_source_is_fine_as_ansible_parses_only_that_file(inventory):
    store = _plant(inventory, OLD_STORE_DIR_NAME)
    source = os.path.join(inventory, "hosts.yml")
    assert inventory_problem(store, [source]) is None
    assert ansible_reads(source) == (INVENTORY_HOSTS, INVENTORY_GROUPS)


def test_store_outside_the_inventory_is_fine(tmp_path, inventory):
    # The molecule layout: <ephemeral>/inventory and <ephemeral>/wirefleet-store side by side.
    store = make_store(tmp_path / "wirefleet-store")
    assert inventory_problem(store, [inventory, "host1,"]) is None
    assert ansible_reads(inventory) == (INVENTORY_HOSTS, INVENTORY_GROUPS)


def test_store_reached_through_a_symbolic_link_in_the_inventory_is_refused(tmp_path, inventory):
    store = make_store(tmp_path / "elsewhere" / "store")
    os.symlink(tmp_path / "elsewhere", os.path.join(inventory, "shared"))
    problem = inventory_problem(store, [inventory])
    assert problem and os.path.join(inventory, "shared") in problem
    assert PUBLIC_KEY in ansible_reads(inventory)[0]


def test_symbolic_link_loops_end(tmp_path, inventory):
    os.symlink(inventory, os.path.join(inventory, "loop"))
    assert inventory_problem(str(tmp_path / "outside"), [os.path.join(inventory, "hosts.yml")]) is None
    assert inventory_problem(str(tmp_path / "outside"), [inventory]) is None


def test_inventory_source_inside_the_store_is_refused(tmp_path, inventory):
    assert "inside it" in inventory_problem(str(tmp_path), [inventory])
    assert inventory_problem(inventory, [inventory]) is not None  # the store is the inventory directory itself


@pytest.mark.parametrize("folder", ["group_vars", "host_vars"])
def test_store_in_the_variable_folders_of_a_source_is_refused(inventory, folder):
    for source in (inventory, os.path.join(inventory, "hosts.yml")):
        problem = inventory_problem(os.path.join(inventory, folder, "all", "store"), [source])
        assert problem and "variable files" in problem


def test_every_source_is_checked(tmp_path, inventory):
    other = make_inventory(tmp_path / "other")
    store = os.path.join(other, "store")
    problem = inventory_problem(store, [inventory, other])
    assert problem and other in problem


# --- the action plugin and render.yml, through the Ansible CLI --------------------------------------------

def run_ansible(tool, *args, cwd=ROOT):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    return subprocess.run([os.path.join(ANSIBLE_BIN, tool)] + list(args), cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def controller_store(inventory, *extra, **module_args):
    arguments = " ".join("%s=%s" % item for item in module_args.items())
    return run_ansible("ansible", "localhost", "-i", inventory, "-m", "wirefleet.wireguard.controller_store",
                       "-a", arguments, *extra)


def test_action_moves_the_old_store_and_says_the_inventory_contained_its_keys(inventory):
    old = _plant(inventory, OLD_STORE_DIR_NAME)
    new = os.path.join(inventory, STORE_DIR_NAME)
    result = controller_store(inventory, create="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "moved %s to %s" % (old, new) in result.stderr
    assert "this run's inventory still contained the store's key files as hosts" in result.stderr
    assert not os.path.exists(old)
    assert read_store(new)["public_keys"] == {"vps": {"wg0": PUBLIC_KEY}}
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o700
    assert ansible_reads(inventory) == (INVENTORY_HOSTS, INVENTORY_GROUPS)
    again = controller_store(inventory, create="true")
    assert again.returncode == 0 and "SUCCESS" in again.stdout and "moved" not in again.stderr


def test_action_in_check_mode_moves_nothing_and_gives_the_mv_command(inventory):
    old = _plant(inventory, OLD_STORE_DIR_NAME)
    new = os.path.join(inventory, STORE_DIR_NAME)
    result = controller_store(inventory, "--check")
    assert result.returncode != 0
    assert "mv %s %s" % (old, new) in re.sub(r"\s+", " ", result.stdout + result.stderr)
    assert os.path.isdir(old) and not os.path.exists(new)


def test_action_refuses_when_old_and_new_store_both_exist(inventory):
    old = _plant(inventory, OLD_STORE_DIR_NAME)
    new = _plant(inventory, STORE_DIR_NAME)
    result = controller_store(inventory)
    assert result.returncode != 0 and "both" in result.stdout + result.stderr
    assert os.path.isdir(old) and os.path.isdir(new)


def test_action_refuses_a_configured_store_inside_the_inventory(inventory):
    store = os.path.join(inventory, "keys")
    result = controller_store(inventory, path=store, create="true")
    output = re.sub(r"\s+", " ", result.stdout + result.stderr)
    assert result.returncode != 0 and "Ansible would read %s as inventory" % store in output
    assert not os.path.exists(store)


def test_action_makes_a_missing_store_private_only_for_real(tmp_path, inventory):
    store = str(tmp_path / "deep" / "store")
    checked = controller_store(inventory, "--check", path=store, create="true")
    assert checked.returncode == 0 and "CHANGED" in checked.stdout and not os.path.exists(store)
    made = controller_store(inventory, path=store, create="true")
    assert made.returncode == 0 and "CHANGED" in made.stdout
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o700


def test_action_refuses_an_old_default_left_in_the_inventory(tmp_path, inventory):
    old = _plant(inventory, OLD_STORE_DIR_NAME)
    result = controller_store(inventory, path=str(tmp_path / "store"))
    assert result.returncode != 0
    assert "%s (the old default place) is inside the inventory directory" % old in result.stdout + result.stderr


def test_render_prints_the_store_and_migrates_it(tmp_path):
    inventory = str(tmp_path / "star")
    shutil.copytree(os.path.join(ROOT, "inventories", "star"), inventory)
    old = os.path.join(inventory, OLD_STORE_DIR_NAME)
    os.makedirs(os.path.join(old, "public"))
    result = run_ansible("ansible-playbook", "-i", inventory, "playbooks/render.yml",
                         "-e", "wireguard_render_dir=%s" % (tmp_path / "plan"))
    assert result.returncode == 0, result.stdout + result.stderr
    new = os.path.join(inventory, STORE_DIR_NAME)
    assert result.stdout.count("controller store: %s" % new) == 1
    assert "moved %s to %s" % (old, new) in result.stderr
    assert os.path.isdir(new) and not os.path.exists(old)


def test_key_paths_follow_the_documented_layout(tmp_path):
    store = str(tmp_path)
    assert public_key_path(store, "hub", "wg0") == os.path.join(store, "public", "hub", "wg0.pub")
    assert previous_key_path(store, "hub", "wg0") == os.path.join(store, "previous", "hub", "wg0.pub")
    assert private_key_path(store, "phone", "wg0") == os.path.join(store, "private", "phone", "wg0.key")
    assert preshared_key_path(store, "wg0/hub--phone") == os.path.join(store, "psk", "wg0", "hub--phone.psk")


def test_previous_keys_are_no_public_keys(tmp_path):
    (tmp_path / "public" / "hub").mkdir(parents=True)
    (tmp_path / "public" / "hub" / "wg0.pub").write_text("new\n")
    (tmp_path / "previous" / "hub").mkdir(parents=True)
    (tmp_path / "previous" / "hub" / "wg0.pub").write_text("old\n")
    store = read_store(str(tmp_path))
    assert store["public_keys"] == {"hub": {"wg0": "new"}} and store["previous_keys"] == {"hub": {"wg0": "old"}}
