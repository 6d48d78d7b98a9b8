"""The install role on hosts where WireGuard is already installed (issue #7, pre-installed path).

After converge the router has wireguard-tools and wireguard-go: the install role run again on its own takes
the apt path and installs nothing (changed=0), is not refused; forced to the none path
(wireguard_install_package_manager: none) it installs nothing either and never calls apt. The LAN host has
no wg: forced to none it fails with one message naming the host and what is missing, and installs nothing.
"""

import json
import os
import subprocess
import sys

import testinfra

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
ROUTER, LANHOST = "wf-peer_to_site_router-router", "wf-peer_to_site_router-lanhost"
PLAN_TASK = "Plan the package manager path and the packages"
APT_TASK = "Install wireguard-tools, and wireguard-go, resolvconf or nftables where needed (apt)"
PLAYBOOK = """
- name: Run the install role on its own
  hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Install WireGuard
      ansible.builtin.import_role:
        name: wirefleet.wireguard.wireguard_install
"""


def install_role(tmp_path, host, *extra):
    """(return code, stats of the host, {task name: the host's result}) of the install role run on one host."""
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(EPHEMERAL, "ansible.cfg"), encoding="utf-8") as handle:
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))
    (tmp_path / "ansible.cfg").write_text(cfg)
    (tmp_path / "install.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
               os.path.join(EPHEMERAL, "inventory"), "--limit", host, str(tmp_path / "install.yml")] + list(extra)
    proc = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    # Task names carry their role: "wirefleet.wireguard.wireguard_install : Plan ...".
    results = {task["task"]["name"].split(" : ")[-1]: task["hosts"][host] for play in report["plays"]
               for task in play["tasks"] if host in task["hosts"]}
    return proc.returncode, report["stats"].get(host, {}), results


def packages(host):
    return host.check_output("dpkg-query -W -f '${Package} ${Version} ${Status}\\n'")


def test_preinstalled_host_installs_nothing_on_the_apt_path(tmp_path):
    router = testinfra.get_host("docker://" + ROUTER)
    before = packages(router)
    rc, stats, results = install_role(tmp_path, ROUTER)
    assert rc == 0 and stats["changed"] == 0 and not stats.get("failures"), (stats, results)
    plan = results[PLAN_TASK]["ansible_facts"]["__wireguard_install_plan"]
    assert plan["package_manager"] == "apt" and plan["known_platform"] and plan["userspace"], plan
    assert results[APT_TASK].get("changed") is False, results[APT_TASK]
    assert packages(router) == before


def test_forced_none_path_installs_nothing_where_wg_is_present(tmp_path):
    router = testinfra.get_host("docker://" + ROUTER)
    before = packages(router)
    rc, stats, results = install_role(tmp_path, ROUTER, "-e", "wireguard_install_package_manager=none")
    assert rc == 0 and stats["changed"] == 0, (stats, results)
    plan = results[PLAN_TASK]["ansible_facts"]["__wireguard_install_plan"]
    assert plan["package_manager"] == "none" and plan["packages"] == [], plan
    assert results[APT_TASK].get("skipped"), results[APT_TASK]  # apt is never called
    assert packages(router) == before


def test_forced_none_path_without_wg_is_one_clear_error(tmp_path):
    lanhost = testinfra.get_host("docker://" + LANHOST)
    rc, stats, results = install_role(tmp_path, LANHOST, "-e", "wireguard_install_package_manager=none")
    assert rc != 0 and stats.get("failures") == 1, stats
    message = results[PLAN_TASK]["msg"]
    assert "host '%s'" % LANHOST in message and "wg, wg-quick" in message and "missing" in message, message
    assert not lanhost.package("wireguard-tools").is_installed
