"""Names, addresses and the site.yml runner of the existing_firewalls scenario (see ../molecule.yml)."""

import json
import os
import re
import subprocess
import sys

import wirefleet_verify as wv

PREFIX = "wf-existing_firewalls-"
HUB, GATEWAY, DOCKER, DESKTOP, INTERNET, LANHOST, DLANHOST = (
    PREFIX + name for name in ("hub", "gateway", "docker", "desktop", "internet", "lanhost", "dlanhost"))
IF = "wg0"
VPN = "198.19.5.0/24"
TUNNEL = {HUB: "198.19.5.1", GATEWAY: "198.19.5.2", DOCKER: "198.19.5.3", DESKTOP: "198.19.5.4"}
UPLINK = {HUB: "198.19.0.10", GATEWAY: "198.19.0.11", DOCKER: "198.19.0.12", DESKTOP: "198.19.0.13",
          INTERNET: "198.19.0.30"}
LAN_ADDRESS = {LANHOST: "198.19.4.20", DLANHOST: "198.19.8.20"}
DOCKER_RESTART = ("iptables -w -D FORWARD -j DOCKER-USER; iptables -w -I FORWARD 1 -j DOCKER-USER; "
                  "iptables -w -P FORWARD DROP")


def node(name):
    return wv.host(name)


def run_playbook(playbook, *args):
    """ansible-playbook on the scenario's inventory; (rc, output without colours)."""
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(ephemeral, "inventory"), *args, playbook]
    env = dict(os.environ, ANSIBLE_CONFIG=os.environ.get("ANSIBLE_CONFIG") or os.path.join(ephemeral, "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc.returncode, re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)


def run_site(*args):
    """playbooks/site.yml through the scenario's converge.yml."""
    return run_playbook(os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), *args)


def run_scheduled(tmp_path):
    """One converge as the scheduled service runs it (roles/wireguard_schedule/files/wirefleet-converge, with the
    lock and report in tmp_path); (exit status, output, the JSON lines it printed)."""
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    command = [sys.executable, os.path.join(root, "roles", "wireguard_schedule", "files", "wirefleet-converge"),
               "--lock", str(tmp_path / "converge.lock"), "--report", str(tmp_path / "last-run.json"), "--",
               os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(ephemeral, "inventory"),
               os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")]
    env = dict(os.environ, ANSIBLE_CONFIG=os.environ.get("ANSIBLE_CONFIG") or os.path.join(ephemeral, "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"')]
    return proc.returncode, proc.stdout + proc.stderr, lines


def run_drift():
    """playbooks/drift.yml in check mode."""
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    return run_playbook(os.path.join(root, "playbooks", "drift.yml"), "--check")


def changed_tasks(output):
    """["host: task"] of every task that reported changed in a playbook's output."""
    found, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[6:line.rfind("]")]
        elif line.startswith("changed: ["):
            found.append("%s: %s" % (line[10:line.index("]")], task))
    return found


def recap(output):
    """{host: changed} from a play recap."""
    return {host: int(changed) for host, changed in re.findall(r"^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)", output, re.M)}


def paths(nodes):
    """Every forwarded path of the fleet as (what, source node, destination node, address): from the desktop
    through the ufw hub to the Docker gateway, to the firewalld gateway's LAN, through the hub and the Docker
    gateway into its LAN, and from the firewalld gateway's LAN back to the desktop. (The firewalld gateway's own
    services are not among them: its zone wirefleet, like ufw's default deny incoming, keeps the host's input
    policy for the tunnel; docs/firewall.md.)"""
    return [
        ("desktop -> Docker gateway (hub, between peers)", nodes[DESKTOP], nodes[DOCKER], TUNNEL[DOCKER]),
        ("desktop -> LAN host (hub, firewalld gateway)", nodes[DESKTOP], nodes[LANHOST], LAN_ADDRESS[LANHOST]),
        ("desktop -> Docker LAN host (hub, Docker gateway, NAT)", nodes[DESKTOP], nodes[DLANHOST],
         LAN_ADDRESS[DLANHOST]),
        ("LAN host -> desktop (firewalld gateway, hub)", nodes[LANHOST], nodes[DESKTOP], TUNNEL[DESKTOP]),
    ]


def broken_paths(nodes, only=None):
    """The paths (or those whose name contains only) on which ICMP, TCP or UDP does not pass: [(what, proto)]."""
    broken = []
    for what, src, dst, address in paths(nodes):
        if only and only not in what:
            continue
        if src.run("ping -c 2 -W 2 %s", address).rc != 0:
            broken.append((what, "icmp"))
        if not wv.tcp_reaches(src, dst, address):
            broken.append((what, "tcp"))
        if not wv.udp_reaches(src, dst, address):
            broken.append((what, "udp"))
    return broken
