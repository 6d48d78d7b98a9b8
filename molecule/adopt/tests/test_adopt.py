"""Adopting a hand-made network: adopt.yml proposes, site.yml takes over with pings running.

The hand-made network (prepare.yml) is a hub with PreUp/PostUp/PostDown lines (forwarding, FORWARD accept and
MASQUERADE towards its LAN), two clients and a phone that is only a [Peer] on the hub. converge.yml ran
adopt.yml; these tests read the proposal, converge it with site.yml while both clients ping (the hub across the
tunnel, the LAN host through the NAT), and check that no key, address or packet was lost and that wirefleet's
firewall rules replaced the old PostUp NAT.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import time

import pytest
import testinfra
import yaml

import wirefleet_verify as wv

IF = "wg0"
HUB, LAPTOP, DESK, LANHOST = "wf-adopt-hub", "wf-adopt-laptop", "wf-adopt-desk", "wf-adopt-lanhost"
MANAGED = [HUB, LAPTOP, DESK]
HUB_TUNNEL, LAN_HOST = "198.18.81.1", "198.18.82.30"
ADDRESSES = {HUB: "198.18.81.1", LAPTOP: "198.18.81.2", DESK: "198.18.81.3"}
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROPOSAL = os.path.join(EPHEMERAL, ".wirefleet-adopt")
STORE = os.path.join(EPHEMERAL, "wirefleet-store")
SITE = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ""), "playbooks", "site.yml")


def node(name):
    return testinfra.get_host("docker://" + name)


def private_key_digest(host, path, config):
    """sha256 of the private key a file holds (a wg-quick config's PrivateKey, or a key file): never the key itself."""
    text = host.check_output("cat %s" % path)
    key = re.search(r"^PrivateKey\s*=\s*(\S+)", text, re.M).group(1) if config else text.strip()
    return hashlib.sha256(key.encode()).hexdigest()


def run_site(tmp_path, playbook=SITE, collections=None):
    """A playbook (site.yml) over molecule's inventory plus the proposal (hosts.yml with its group_vars/ and
    host_vars/); with collections, from that directory of installed collections instead of the checkout."""
    ephemeral_cfg = os.environ.get("ANSIBLE_CONFIG") or os.path.join(EPHEMERAL, "ansible.cfg")
    with open(ephemeral_cfg, encoding="utf-8") as handle:
        cfg = "".join(line for line in handle if not line.startswith(("callbacks_enabled", "collections_path")))
    (tmp_path / "ansible.cfg").write_text(cfg)
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    if collections:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(EPHEMERAL, "inventory"), "-i", os.path.join(PROPOSAL, "hosts.yml"), playbook]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False, cwd=str(tmp_path))
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (playbook, proc.stdout[-6000:], proc.stderr[-3000:])
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def installed_collection(tmp_path):
    """The collection built from the checkout and installed into tmp_path/collections, as users get it."""
    ansible_bin = os.path.dirname(sys.executable)
    project = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    subprocess.run([os.path.join(ansible_bin, "ansible-galaxy"), "collection", "build", project, "--force",
                    "--output-path", str(tmp_path / "build")], check=True, capture_output=True, timeout=300)
    tarball = next((tmp_path / "build").glob("wirefleet-wireguard-*.tar.gz"))
    # --force: the checkout itself is an installed wirefleet.wireguard on molecule's ANSIBLE_COLLECTIONS_PATH
    subprocess.run([os.path.join(ansible_bin, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                    "--force", "-p", str(tmp_path / "collections"), str(tarball)], check=True, capture_output=True,
                   timeout=300)
    return tmp_path / "collections"


def changed_tasks(report):
    """{host: [names of tasks that changed the host]} (controller-side store writes are not changes of a host)."""
    changed = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, result in task["hosts"].items():
                delegated = (result.get("_ansible_delegated_vars") or {}).get("ansible_host") in ("localhost", "127.0.0.1")
                if result.get("changed") and not delegated:
                    changed.setdefault(name, []).append(task["task"]["name"])
    return changed


class Ping:
    """`ping -i 0.2` in the background; stop() returns (sent, received, output)."""

    def __init__(self, host, address, tag):
        self.host, self.out = host, "/tmp/wf-adopt-ping-%s.txt" % tag
        self.pid = host.check_output("nohup ping -n -i 0.2 %s > %s 2>&1 < /dev/null & echo $!" % (address, self.out))

    def stop(self):
        self.host.run("kill -INT %s", self.pid)
        time.sleep(0.5)
        out = self.host.check_output("cat %s" % self.out)
        match = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        assert match, out
        return int(match.group(1)), int(match.group(2)), out


@pytest.fixture(scope="module")
def before():
    """What the hand-made network runs before the takeover: key digests, addresses, peers."""
    state = {}
    for name in MANAGED:
        host = node(name)
        state[name] = {
            "key": private_key_digest(host, "/etc/wireguard/wg0.conf", config=True),
            "public": wv.public_key(host, IF),
            "peers": sorted(host.check_output("wg show wg0 peers").split()),
        }
    return state


def test_proposal(before):
    """The proposal names the roles, keeps every address and the phone, and reports the hooks it does not carry."""
    with open(os.path.join(PROPOSAL, "hosts.yml"), encoding="utf-8") as handle:
        groups = yaml.safe_load(handle)["all"]["children"]
    assert sorted(groups["wireguard_hubs"]["hosts"]) == [HUB]
    assert sorted(groups["wireguard_clients"]["hosts"]) == sorted([LAPTOP, DESK, "anna-s-phone"])
    with open(os.path.join(PROPOSAL, "group_vars", "all", "wireguard.yml"), encoding="utf-8") as handle:
        networks = yaml.safe_load(handle)["wireguard_networks"]
    assert networks == {"wg0": {"ipv4": "198.18.81.0/24", "port": 51820}}
    host_vars = {}
    for name in MANAGED + ["anna-s-phone"]:
        with open(os.path.join(PROPOSAL, "host_vars", name + ".yml"), encoding="utf-8") as handle:
            host_vars[name] = yaml.safe_load(handle)
    assert host_vars[HUB]["wireguard_lans"] == ["198.18.82.0/24"]
    assert host_vars[HUB]["wireguard_nat"] is True
    assert host_vars[HUB]["wireguard_endpoint"] == "198.18.80.10"
    for name, address in ADDRESSES.items():
        assert host_vars[name]["wireguard_address"] == address
    assert host_vars["anna-s-phone"]["wireguard_managed"] is False
    assert host_vars["anna-s-phone"]["wireguard_address"] == "198.18.81.4"
    with open(os.path.join(PROPOSAL, "REPORT.txt"), encoding="utf-8") as handle:
        report = handle.read()
    print(report)
    assert "PostUp = iptables -A FORWARD" in report and "PreUp = sysctl" in report
    assert "%s wg0: converging keeps its key, addresses, port, peers and routes" % HUB in report
    # what adopt recorded in the store: each host's public key in use and its address as a lease
    for name in MANAGED:
        with open(os.path.join(STORE, "public", name, "wg0.pub"), encoding="utf-8") as handle:
            assert handle.read().strip() == before[name]["public"]
    with open(os.path.join(STORE, "leases.json"), encoding="utf-8") as handle:
        leases = json.load(handle)["wg0"]
    assert {name: leases[name]["ipv4"] for name in MANAGED} == ADDRESSES
    # adopt changed nothing on the hosts
    for name in MANAGED:
        assert not node(name).file("/etc/wireguard/wg0.key").exists
        assert "Written by wirefleet" not in node(name).file("/etc/wireguard/wg0.conf").content_string


def test_takeover_loses_nothing(before, tmp_path):
    """site.yml on the proposal: no packet lost, keys byte-identical, addresses kept, old NAT replaced by ours."""
    hub, laptop, desk = node(HUB), node(LAPTOP), node(DESK)
    pings = [Ping(laptop, HUB_TUNNEL, "laptop-hub"), Ping(desk, LAN_HOST, "desk-lan")]
    time.sleep(1)
    try:
        report = run_site(tmp_path)
        time.sleep(2)
    finally:
        results = [ping.stop() for ping in pings]
    for (sent, received, out), what in zip(results, ["laptop -> hub tunnel", "desk -> LAN host (NAT)"], strict=True):
        print("%s: %d sent, %d received during site.yml" % (what, sent, received))
        assert sent > 20 and received == sent, out
    assert not changed_tasks(report).get(LANHOST)
    for name in MANAGED:
        host = node(name)
        assert private_key_digest(host, "/etc/wireguard/wg0.key", config=False) == before[name]["key"]
        assert private_key_digest(host, "/etc/wireguard/wg0.conf", config=True) == before[name]["key"]
        wv.assert_private_files(host, IF)
        assert wv.public_key(host, IF) == before[name]["public"]
        assert sorted(host.check_output("wg show wg0 peers").split()) == before[name]["peers"]
        assert wv.tunnel_address(host, IF) == ADDRESSES[name]
        config = host.file("/etc/wireguard/wg0.conf").content_string
        assert "Written by wirefleet.wireguard" in config and "PostUp" not in config and "PreUp" not in config
        assert host.file("/etc/wireguard/wg0.conf.pre-wirefleet").mode == 0o600
    # the old PostUp's rules went with its PostDown; the traffic now passes wirefleet's own NAT
    lan_interface = hub.check_output("ip -o -4 addr show | awk '/198.18.82.10\\//{print $2}'")
    assert "-o %s -j MASQUERADE" % lan_interface not in hub.check_output("iptables -t nat -S POSTROUTING")
    assert "-i wg0 -j ACCEPT" not in hub.check_output("iptables -S FORWARD")
    assert "-j MASQUERADE" in hub.check_output("iptables -t nat -S WIREFLEET-POSTROUTING")
    assert desk.run("ping -c 2 -W 3 %s" % LAN_HOST).rc == 0


def test_a_users_own_playbook_with_the_installed_role_changes_nothing(tmp_path):
    """Converged again by a playbook of the user's own, outside the checkout, with `roles:
    [wirefleet.wireguard.wireguard]` from the built and installed collection: changed=0. Then the collection's
    verify playbook, by its FQCN, accepts the adopted fleet (handshakes, pings, the LAN behind the hub, firewall)."""
    collections = installed_collection(tmp_path)
    role = collections / "ansible_collections" / "wirefleet" / "wireguard" / "roles" / "wireguard" / "tasks" / "main.yml"
    assert role.is_file()
    (tmp_path / "site.yml").write_text("- name: My own site playbook\n  hosts: all\n  gather_facts: false\n  become: true\n"
                                       "  roles:\n    - role: wirefleet.wireguard.wireguard\n")
    report = run_site(tmp_path, str(tmp_path / "site.yml"), collections)
    assert {name: tasks for name, tasks in changed_tasks(report).items() if tasks} == {}
    tasks = [task["task"]["name"].split(" : ", 1)[-1] for play in report["plays"] for task in play["tasks"]]
    assert "Summarise the run" in tasks and "Write each wg-quick configuration (validated, atomic, keys masked in the diff)" in tasks
    verify = run_site(tmp_path, "wirefleet.wireguard.verify", collections)
    assert verify["stats"][HUB]["failures"] == 0
