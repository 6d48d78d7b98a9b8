"""Helpers shared by the star scenario's tests (test_star.py, test_faults.py); fixtures are in conftest.py.

Hosts are reached with `docker exec` (testinfra's docker backend); playbooks and modules run with the
venv's ansible over molecule's inventory, reported by the ansible.posix.json callback.
"""

import json
import os
import re
import subprocess
import sys
import time

import testinfra

import wirefleet_verify as wv

IF = "wg0"
VPN = "198.18.41.0/24"
HUB_TUNNEL = "198.18.41.1"
HUB_UPLINK = "198.18.40.10"
INTERNET = "198.18.40.30"
HUB = "wf-star-hub"
CLIENTS = ["wf-star-desktop", "wf-star-laptop", "wf-star-pi"]
MANAGED = [HUB] + CLIENTS
NEWBIE = "wf-star-newbie"


def node(name):
    # docker exec directly: much faster than one ansible run per command.
    return testinfra.get_host("docker://" + name)


def nat_probe(hub, desktop, internet):
    """Send 2 pings from the desktop into the tunnel towards the uplink's internet host; returns
    (ping exit code, the echo requests wf-star-internet saw).

    The desktop is a split-tunnel client, so for this probe it routes one more /32 (the internet host)
    into the tunnel for a moment. Without the hub's masquerade the packet would carry its tunnel source
    onto the uplink bridge, where docker drops it: wf-star-internet would see nothing."""
    hub_key = wv.public_key(hub, IF)
    capture = wv.start_capture(internet, "eth0", "icmp[icmptype] == icmp-echo", "nat")
    try:
        desktop.run_expect([0], "wg set wg0 peer %s allowed-ips %s,%s/32" % (hub_key, VPN, INTERNET))
        desktop.run_expect([0], "ip route replace %s/32 dev wg0" % INTERNET)
        rc = desktop.run("ping -c 2 -W 2 %s", INTERNET).rc
    finally:
        desktop.run("ip route del %s/32 dev wg0" % INTERNET)
        desktop.run_expect([0], "wg-quick strip wg0 > /tmp/wg0.strip && wg syncconf wg0 /tmp/wg0.strip")
    lines = wv.read_capture(internet, capture)
    assert wv.allowed_ips(desktop, IF) == {hub_key: [VPN]}
    return rc, lines


# ---------------------------------------------------------------- ansible runs

def _ansible_env(tmp_path):
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(ephemeral, "ansible.cfg"), encoding="utf-8") as handle:
        # profile_tasks would print into the json on stdout
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))
    (tmp_path / "ansible.cfg").write_text(cfg)
    return dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                ANSIBLE_LOAD_CALLBACK_PLUGINS="1")


def _ansible(tmp_path, program, args):
    """Runs an ansible program over molecule's inventory; returns its json report plus rc, seconds and output."""
    command = [os.path.join(os.path.dirname(sys.executable), program),
               "-i", os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")] + args
    started = time.monotonic()
    proc = subprocess.run(command, env=_ansible_env(tmp_path), capture_output=True, text=True, timeout=900, check=False)
    report = json.loads(proc.stdout[proc.stdout.index("{"):]) if "{" in proc.stdout else {}
    report.update(rc=proc.returncode, seconds=time.monotonic() - started,
                  output="%s\n%s" % (proc.stdout[-4000:], proc.stderr[-2000:]))
    return report


def run_playbook(tmp_path, playbook, extra_inventory=None, limit=None, check=True, extra_vars=None):
    """A playbook over molecule's inventory (plus an extra inventory file or extra vars); with check, it must succeed."""
    args = []
    if extra_vars:
        (tmp_path / "extra-vars.json").write_text(json.dumps(extra_vars))
        args += ["-e", "@%s" % (tmp_path / "extra-vars.json")]
    if extra_inventory:
        (tmp_path / "extra.yml").write_text(extra_inventory)
        args += ["-i", str(tmp_path / "extra.yml")]
    if limit:
        args += ["--limit", limit]
    report = _ansible(tmp_path, "ansible-playbook", args + [playbook])
    if check:
        assert report["rc"] == 0, "%s failed (%d):\n%s" % (os.path.basename(playbook), report["rc"], report["output"])
    return report


def run_site(tmp_path, extra_inventory=None, check=True, extra_vars=None):
    """site.yml (through the scenario's converge.yml); returns the json report (with rc and seconds)."""
    return run_playbook(tmp_path, os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
                        extra_inventory, check=check, extra_vars=extra_vars)


def run_module(tmp_path, host, module, args):
    """One module on one host (ad-hoc); returns the host's result."""
    report = _ansible(tmp_path, "ansible", [host, "-m", module, "-a", json.dumps(args)])
    try:
        return report["plays"][0]["tasks"][0]["hosts"][host]
    except (KeyError, IndexError):
        raise AssertionError("ansible -m %s gave no result for %s:\n%s" % (module, host, report["output"])) from None


def changed_on_host(report):
    """{host: [tasks that changed something ON the host]}; controller-side store writes (delegated to
    localhost, e.g. leases.json attributed to the first host of the play) are not changes of the host."""
    changed = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, result in task["hosts"].items():
                changed.setdefault(name, [])
                target = (result.get("_ansible_delegated_vars") or {}).get("ansible_host")
                delegated = target in ("localhost", "127.0.0.1")
                if result.get("changed") and not delegated:
                    changed[name].append(task["task"]["name"])
    return changed


def task_results(report, task_name):
    """{host: result} of every task whose name ends with task_name."""
    return {name: result for play in report["plays"] for task in play["tasks"]
            if task["task"]["name"].endswith(task_name) for name, result in task["hosts"].items()}


def summary(report):
    """site.yml's closing summary lines ('<host>: changed|unchanged - ...')."""
    results = list(task_results(report, "Summarise the run").values())
    assert results, "no summary in the report"
    return results[0]["msg"]


class Ping:
    """`ping -O -i 0.2` from one host to another across a tunnel, in the background (no -w: with a
    deadline, ping quits at the first ICMP error, e.g. the hub's redirect between two of its peers)."""

    def __init__(self, host, address):
        self.host = host
        self.pid = host.check_output("nohup ping -n -O -i 0.2 %s > /tmp/wf-ping.txt 2>&1 < /dev/null & echo $!"
                                     % address)

    def stop(self):
        time.sleep(1)
        self.host.run("kill -INT %s", self.pid)
        time.sleep(0.5)
        out = self.host.check_output("cat /tmp/wf-ping.txt")
        replies = {int(n) for n in re.findall(r"bytes from .*icmp_seq=(\d+)", out)}
        assert replies, out
        missing = sorted(set(range(1, max(replies) + 1)) - replies)
        return max(replies), missing, out


# ---------------------------------------------------------------- configs and containers

def entry_from_config(text):
    """The fleet entry (wg_config's `entry`) and preshared keys that render exactly this wirefleet config."""
    header = re.match(r"# \S+: \S+ in network '([^']+)' as (\S+)\. Written by wirefleet", text)
    assert header, "not a wirefleet config:\n%s" % text[:200]
    entry = {"network": header.group(1), "role": header.group(2), "addresses": [], "peers": []}
    psks = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if line in ("[Interface]", "[Peer]"):
            section = entry if line == "[Interface]" else {"allowed_ips": []}
            if section is not entry:
                entry["peers"].append(section)
            continue
        comment = re.match(r"# (\S+) \((\S+)\)$", line)
        if section is None or not line or (section is entry and line.startswith("#")):
            continue
        if comment:
            section.update(name=comment.group(1), role=comment.group(2))
            continue
        key, _sep, value = line.partition(" = ")
        items = [item.strip() for item in value.split(",")]
        if key == "Address":
            entry["addresses"] = items
        elif key == "DNS":
            entry["dns"] = items
        elif key in ("ListenPort", "MTU"):
            entry["listen_port" if key == "ListenPort" else "mtu"] = int(value)
        elif key == "PublicKey":
            section["public_key"] = value
        elif key == "PresharedKey":
            section["preshared_key_id"] = "%s/psk%d--peer" % (entry["network"], len(psks))
            psks[section["preshared_key_id"]] = value
        elif key == "Endpoint":
            section["endpoint"] = value
        elif key == "AllowedIPs":
            section["allowed_ips"] = items
        elif key == "PersistentKeepalive":
            section["keepalive"] = int(value)
        else:
            assert key == "PrivateKey", "unexpected line %r" % raw
    return entry, psks


def docker(*args):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=120, check=True)
    return proc.stdout.strip()


def is_running(name):
    return docker("inspect", "-f", "{{.State.Running}}", name) == "true"
