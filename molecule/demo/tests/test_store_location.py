"""The controller store at its default place is never read as inventory, and the old place is migrated (issue #11).

Runs playbooks/site.yml once more over the converged demo fleet, from a directory inventory of our own: the
scenario's inventory as molecule wrote it (same hosts, groups, connection and variables) minus
wireguard_store_dir, with a copy of the scenario's real store planted at the old default place
<inventory>/wirefleet-store. site.yml must move it to <inventory>/.wirefleet-store, say so, change nothing
on the hosts (same keys, same fleet), and from then on `ansible-inventory` lists exactly the fleet's hosts.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
SCENARIO_STORE = os.path.join(PROJECT, "build", "demo-store")
SITE = os.path.join(PROJECT, "playbooks", "site.yml")
LOCATE_TASK = "Locate the controller store where Ansible never reads it as inventory"


def _ansible_env(tmp_path):
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(EPHEMERAL, "ansible.cfg"), encoding="utf-8") as handle:
        # profile_tasks would print into the json report on stdout
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))
    (tmp_path / "ansible.cfg").write_text(cfg)
    return dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")


def _run(tmp_path, program, *args):
    command = [os.path.join(os.path.dirname(sys.executable), program)] + list(args)
    return subprocess.run(command, env=_ansible_env(tmp_path), cwd=PROJECT, capture_output=True, text=True,
                          timeout=900, check=False)


def inventory_listing(tmp_path, inventory):
    """(host names, group names) that `ansible-inventory --list` shows for an inventory source."""
    proc = _run(tmp_path, "ansible-inventory", "-i", str(inventory), "--list")
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    # Groups without hosts (leases.json's networks) are only named as children, not listed as keys.
    groups = {name for name in listing if name != "_meta"}
    groups.update(child for entry in listing.values() for child in entry.get("children", []))
    return sorted(listing["_meta"]["hostvars"]), sorted(groups)


def copy_inventory_without_store_dir(target):
    """Molecule's inventory directory, with wireguard_store_dir removed from every variable file."""
    shutil.copytree(os.path.join(EPHEMERAL, "inventory"), target, symlinks=False)
    for folder in ("group_vars", "host_vars"):
        for name in os.listdir(target / folder) if (target / folder).is_dir() else []:
            path = target / folder / name
            content = yaml.safe_load(path.read_text()) or {}
            content.pop("wireguard_store_dir", None)
            path.write_text(yaml.safe_dump(content))
    assert "wireguard_store_dir" not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())


def key_files(store):
    """{path below the store: content} of every key file (public, private, preshared)."""
    keys = {}
    for base, _dirs, files in os.walk(store):
        for name in files:
            if name.endswith((".pub", ".key", ".psk")):
                path = os.path.join(base, name)
                with open(path, encoding="ascii") as handle:
                    keys[os.path.relpath(path, store)] = handle.read()
    return keys


def results_of(report, task_name):
    """The per-host results of every run of the named task that was not skipped."""
    return [result for play in report["plays"] for task in play["tasks"] if task_title(task) == task_name
            for result in task["hosts"].values() if not result.get("skipped")]


def task_title(task):
    """A task's name without the role in front ("wirefleet.wireguard.wireguard : Locate ..." -> "Locate ...")."""
    return task["task"]["name"].split(" : ", 1)[-1]


def host_changes(report):
    """{host: [tasks that changed something]}, leaving out controller-side work (the store move, store files)."""
    changed = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, result in task["hosts"].items():
                target = (result.get("_ansible_delegated_vars") or {}).get("ansible_host")
                delegated = target in ("localhost", "127.0.0.1")
                if result.get("changed") and not delegated and task_title(task) != LOCATE_TASK:
                    changed.setdefault(name, []).append(task["task"]["name"])
    return changed


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """Plant the old-place store, run site.yml from our own inventory directory; returns what it needs to check."""
    tmp_path = tmp_path_factory.mktemp("store-location")
    inventory = tmp_path / "inventory"
    copy_inventory_without_store_dir(inventory)
    old, new = inventory / "wirefleet-store", inventory / ".wirefleet-store"
    shutil.copytree(SCENARIO_STORE, old)
    before = inventory_listing(tmp_path, inventory)
    proc = _run(tmp_path, "ansible-playbook", "-i", str(inventory), SITE)
    report = json.loads(proc.stdout[proc.stdout.index("{"):]) if "{" in proc.stdout else {"plays": []}
    return {"tmp": tmp_path, "inventory": inventory, "old": old, "new": new, "proc": proc, "report": report,
            "before": before}


def test_old_place_was_read_as_inventory(migrated):
    # What issue #11 is about: the store's key files as hosts, leases.json's network as a group.
    hosts, groups = migrated["before"]
    keys = key_files(SCENARIO_STORE)
    assert keys["private/wf-demo-phone/demo.key"].strip() in hosts  # a private key, printed as a host name
    assert {key.strip() for key in keys.values()} <= set(hosts)
    assert "demo" in groups


def test_site_moves_the_store_and_says_so(migrated):
    proc, report = migrated["proc"], migrated["report"]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    shown = [result["msg"] for result in results_of(report, "Show where the controller store is")]
    assert shown == ["controller store: %s" % migrated["new"]]
    moved = results_of(report, LOCATE_TASK)[0]
    assert moved["moved_from"] == str(migrated["old"])
    warnings = " ".join(str(warning) for warning in moved.get("warnings", [])) + proc.stderr
    assert "moved %s to %s" % (migrated["old"], migrated["new"]) in warnings
    assert "this run's inventory still contained the store's key files as hosts" in warnings


def test_store_moved_with_its_keys(migrated):
    assert not migrated["old"].exists()
    assert oct(migrated["new"].stat().st_mode & 0o777) == oct(0o700)
    assert key_files(migrated["new"]) == key_files(SCENARIO_STORE)
    with open(os.path.join(migrated["new"], "leases.json"), encoding="utf-8") as ours, \
            open(os.path.join(SCENARIO_STORE, "leases.json"), encoding="utf-8") as theirs:
        assert json.load(ours) == json.load(theirs)


def test_nothing_changed_on_the_hosts(migrated):
    assert host_changes(migrated["report"]) == {}
    for host, stats in migrated["report"]["stats"].items():
        assert stats["failures"] == 0 and stats["unreachable"] == 0, (host, stats)


def test_inventory_lists_exactly_the_fleet(migrated):
    hosts, groups = inventory_listing(migrated["tmp"], migrated["inventory"])
    assert (hosts, groups) == inventory_listing(migrated["tmp"], os.path.join(EPHEMERAL, "inventory"))
    assert "wf-demo-hub" in hosts and "demo" not in groups
