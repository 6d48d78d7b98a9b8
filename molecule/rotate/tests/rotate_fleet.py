"""Helpers of the rotation scenario's tests (test_rotate.py); fixtures are in conftest.py.

Hosts are reached with `docker exec` (testinfra's docker backend); playbooks run with the venv's ansible over
molecule's inventory, reported by the ansible.posix.json callback.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import testinfra

import wirefleet_verify as wv

IF = "wg0"
HUB = "wf-rot-hub"
CLIENTS = ["wf-rot-alpha", "wf-rot-beta"]
PHONE = "wf-rot-phone"
HUB_TUNNEL = "198.18.77.1"
ROTATE = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ""), "playbooks", "rotate.yml")


def node(name):
    return testinfra.get_host("docker://" + name)


def name_of(host):
    return host.backend.name


# ---------------------------------------------------------------- ansible runs

def _command(tmp_path, program, args):
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(ephemeral, "ansible.cfg"), encoding="utf-8") as handle:
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))  # profile_tasks would print into the json
    (tmp_path / "ansible.cfg").write_text(cfg)
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    command = [os.path.join(os.path.dirname(sys.executable), program), "-i", os.path.join(ephemeral, "inventory")] + args
    return command, env


def run_playbook(tmp_path, playbook, *args, check=True):
    """A playbook over molecule's inventory; returns its json report plus rc, seconds and the output's tail."""
    command, env = _command(tmp_path, "ansible-playbook", list(args) + [playbook])
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    report = json.loads(proc.stdout[proc.stdout.index("{"):]) if "{" in proc.stdout else {}
    report.update(rc=proc.returncode, seconds=time.monotonic() - started,
                  output="%s\n%s" % (proc.stdout[-6000:], proc.stderr[-2000:]))
    if check:
        assert report["rc"] == 0, "%s failed (%d):\n%s" % (os.path.basename(playbook), report["rc"], report["output"])
    return report


def rotate(tmp_path, hosts, *args, check=True):
    return run_playbook(tmp_path, ROTATE, "-e", "wireguard_rotate_hosts=%s" % hosts, *args, check=check)


def site(tmp_path):
    return run_playbook(tmp_path, os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"))


def start_rotate(tmp_path, hosts):
    """rotate.yml in the background (its own process group, to be killed); returns the Popen."""
    command, env = _command(tmp_path, "ansible-playbook", ["-e", "wireguard_rotate_hosts=%s" % hosts, ROTATE])
    log = open(tmp_path / "killed-run.json", "w", encoding="utf-8")  # pylint: disable=consider-using-with
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def kill(proc):
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def task_results(report, task_name):
    """{host: result} of every task whose name ends with task_name."""
    return {name: result for play in report["plays"] for task in play["tasks"]
            if task["task"]["name"].endswith(task_name) for name, result in task["hosts"].items()}


def message(report, task_name):
    results = list(task_results(report, task_name).values())
    assert results, "no %r in the report" % task_name
    return results[0]["msg"]


def changed(report):
    """{host: number of changed tasks} from the play recap."""
    return {host: stats["changed"] for host, stats in report["stats"].items()}


# ---------------------------------------------------------------- the store and the hosts

def store_path(*parts):
    return os.path.join(wv.STORE, *parts)


def store_text(*parts):
    with open(store_path(*parts), encoding="utf-8") as handle:
        return handle.read().strip()


def store_psk(a, b):
    first, second = sorted((a, b))
    return store_text("psk", "wg0", "%s--%s.psk" % (first, second))


def live_psks(host):
    """{peer public key: preshared key} as the running interface has them."""
    return dict(line.split() for line in host.check_output("wg show %s preshared-keys", IF).splitlines())


def key_file_digest(host):
    return host.check_output("sha256sum /etc/wireguard/%s.key", IF).split()[0]


def load_phone(phone):
    """Load the phone's config from the store, as its app would after scanning the new QR code."""
    config = store_text("devices", PHONE, "wg0.conf") + "\n"
    phone.run("wg-quick down %s" % IF)
    phone.run_expect([0], "install -m 0600 /dev/stdin /etc/wireguard/%s.conf <<'EOF'\n%sEOF" % (IF, config))
    phone.run_expect([0], "wg-quick up %s" % IF)


def pair_problems(hub, clients, phone=None):
    """What is wrong with each hub <-> peer pair: keys, preshared keys (live and store) and the handshake. [] when
    every pair matches. The phone counts when given (its config loaded)."""
    problems = []
    hub_key = wv.public_key(hub, IF)
    hub_psks = live_psks(hub)
    if store_text("public", HUB, "wg0.pub") != hub_key:
        problems.append("store: the hub's public key is not the one it runs")
    for peer in clients + ([phone] if phone else []):
        name = name_of(peer)
        peer_key = wv.public_key(peer, IF)
        peers = peer.check_output("wg show %s peers", IF).split()
        if peers != [hub_key]:
            problems.append("%s: peers %s, the hub runs %s" % (name, peers, hub_key))
        if peer_key not in hub_psks:
            problems.append("hub: no peer %s (%s)" % (name, peer_key))
            continue
        psk = live_psks(peer).get(hub_key)
        if psk != hub_psks[peer_key]:
            problems.append("%s: preshared key differs from the hub's" % name)
        if hub_psks[peer_key] != store_psk(HUB, name):
            problems.append("%s: the hub's preshared key is not the store's" % name)
    return problems


def wait_for_fresh_handshakes(hub, peers, since, timeout=30):
    """Every peer has a handshake with the hub younger than `since` (epoch seconds), after a ping through it."""
    deadline = time.monotonic() + timeout
    while True:
        stale = []
        for peer in peers:
            peer.run("ping -c 1 -W 1 %s", HUB_TUNNEL)
            stamps = [int(line.split()[1]) for line in peer.check_output("wg show %s latest-handshakes", IF).splitlines()]
            if not stamps or min(stamps) < since:
                stale.append(name_of(peer))
        if not stale or time.monotonic() > deadline:
            return stale
        time.sleep(1)


class Pinger:
    """`ping -D -O -i 0.2` from each client to the hub's tunnel address in the background; stop() gives the
    outage per pair: the longest time without a reply (up to the last probe sent)."""

    def __init__(self, hosts):
        self.hosts = hosts
        for host in hosts:
            host.check_output("nohup ping -n -D -O -i 0.2 %s > /tmp/wf-ping.txt 2>&1 < /dev/null & echo $! > /tmp/wf-ping.pid",
                              HUB_TUNNEL)
        time.sleep(1.5)

    def stop(self):
        time.sleep(1.5)
        outages = {}
        for host in self.hosts:
            host.run("kill -INT $(cat /tmp/wf-ping.pid)")
        time.sleep(0.5)
        for host in self.hosts:
            outages[name_of(host)] = longest_gap(host.check_output("cat /tmp/wf-ping.txt"))
        return outages


def longest_gap(ping_output):
    """(seconds, replies): the longest time between two replies, or from the last reply to the last probe."""
    replies = [float(stamp) for stamp in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from", ping_output, re.M)]
    probes = [float(stamp) for stamp in re.findall(r"^\[(\d+\.\d+)\]", ping_output, re.M)]
    assert replies, ping_output[-2000:]
    stamps = replies + [max(probes)]
    return round(max(b - a for a, b in zip(stamps, stamps[1:], strict=False)), 2), len(replies)
