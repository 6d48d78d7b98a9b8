"""Scenario 1, star through a VPS hub: what a user checks, on real packets (molecule/star/molecule.yml).

The last two tests grow the running fleet by wf-star-newbie with ansible-playbook and an extra inventory
(only the hub and the newcomer change, a ping across an existing tunnel loses nothing), then remove it.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import time

import pytest
import testinfra

import wirefleet_verify as wv

IF = "wg0"
VPN = "198.18.41.0/24"
HUB_UPLINK = "198.18.40.10"
INTERNET = "198.18.40.30"
CLIENTS = ["wf-star-desktop", "wf-star-laptop", "wf-star-pi"]
MANAGED = ["wf-star-hub"] + CLIENTS
NEWBIE = "wf-star-newbie"


def node(name):
    # docker exec directly: much faster than one ansible run per command.
    return testinfra.get_host("docker://" + name)


@pytest.fixture(scope="module", params=MANAGED)
def managed(request):
    return node(request.param)


@pytest.fixture(scope="module")
def hub():
    return node("wf-star-hub")


@pytest.fixture(scope="module")
def desktop():
    return node("wf-star-desktop")


@pytest.fixture(scope="module")
def laptop():
    return node("wf-star-laptop")


@pytest.fixture(scope="module")
def pi():
    return node("wf-star-pi")


@pytest.fixture(scope="module")
def internet():
    return node("wf-star-internet")


@pytest.fixture(scope="module")
def newbie():
    return node(NEWBIE)


def tunnel_address(host, interface):
    # (wirefleet_verify.tunnel_address passes an int through testinfra's shlex quoting: TypeError)
    return host.check_output("ip -4 -o addr show dev %s", interface).split()[3].split("/")[0]


def start_capture(host, interface, expression, tag, count=1, timeout=20):
    """tcpdump in the background; returns once it listens. Read it with read_capture."""
    base = "/tmp/wf-capture-%s" % tag
    host.run("rm -f %s.out %s.err", base, base)
    host.run_expect([0], "nohup timeout %d tcpdump -l -n -i %s -c %d %s > %s.out 2> %s.err < /dev/null &"
                    % (timeout, interface, count, shlex.quote(expression), base, base))
    deadline = time.monotonic() + 10
    while "listening on" not in host.run("cat %s.err", base).stdout:
        assert time.monotonic() < deadline, "tcpdump on %s did not start" % interface
        time.sleep(0.2)
    return base


def read_capture(host, base, count=1, wait=6.0):
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in host.run("cat %s.out", base).stdout.splitlines() if line.strip()]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.3)


# ---------------------------------------------------------------- the converged fleet

def test_service_and_private_files(managed):
    wv.assert_service_up(managed, IF)
    wv.assert_private_files(managed, IF)


def test_peer_lists_and_allowed_ips(hub, desktop, laptop, pi):
    hub_allowed = wv.allowed_ips(hub, IF)
    clients = (desktop, laptop, pi)
    assert sorted(hub_allowed) == sorted(wv.public_key(c, IF) for c in clients)
    for client in clients:
        # the hub routes exactly the client's /32 to it; the client sends the whole VPN to the hub
        assert hub_allowed[wv.public_key(client, IF)] == ["%s/32" % tunnel_address(client, IF)]
        assert wv.allowed_ips(client, IF) == {wv.public_key(hub, IF): [VPN]}
        assert client.check_output("wg show %s endpoints", IF).split()[1] == "%s:51820" % HUB_UPLINK
    assert hub.check_output("wg show %s listen-port", IF) == "51820"
    assert tunnel_address(hub, IF) == "198.18.41.1"


def test_handshakes_recent(hub, desktop, laptop, pi):
    for client in (desktop, laptop, pi):
        client.run_expect([0], "ping -c 1 -W 2 198.18.41.1")
        wv.wait_for_handshakes(client, IF, 1)
    wv.wait_for_handshakes(hub, IF, 3)


def test_client_reaches_client_through_hub(hub, desktop, laptop, pi):
    laptop_vpn = tunnel_address(laptop, IF)
    desktop_vpn = tunnel_address(desktop, IF)
    assert " dev wg0 " in desktop.check_output("ip -4 route get %s", laptop_vpn)
    # On the hub the echo request crosses wg0 (in and out again) ...
    on_hub = start_capture(hub, IF, "icmp and src host %s and dst host %s" % (desktop_vpn, laptop_vpn), "hub", count=2)
    # ... and the docker bridge never carries a tunnel address: nothing but UDP reaches the laptop's eth0.
    on_wire = start_capture(laptop, "eth0", "icmp or (ip and not udp)", "wire")
    desktop.run_expect([0], "ping -c 3 -W 2 %s", laptop_vpn)
    hub_lines = read_capture(hub, on_hub, count=2)
    assert len(hub_lines) >= 2, hub_lines  # in on wg0 and forwarded out of wg0
    assert all("%s > %s: ICMP echo request" % (desktop_vpn, laptop_vpn) in line for line in hub_lines), hub_lines
    assert read_capture(laptop, on_wire, wait=1) == []
    pi.run_expect([0], "ping -c 2 -W 2 %s", desktop_vpn)


def test_hub_forwards_and_nats(hub):
    assert hub.sysctl("net.ipv4.ip_forward") == 1
    assert "net.ipv4.ip_forward = 1" in hub.file("/etc/sysctl.d/60-wirefleet.conf").content_string
    rules = hub.check_output("nft list table inet wirefleet")
    assert 'iifname "wg0" oifname "wg0"' in rules and "between peers" in rules
    assert re.search(r'oifname "eth0" ip saddr 198\.18\.41\.0/24 .*masquerade', rules), rules
    assert hub.service("wirefleet-nftables").is_enabled


def test_clients_have_no_router_duties(desktop, laptop, pi):
    for client in (desktop, laptop, pi):
        assert client.run("nft list table inet wirefleet").rc != 0
        assert not client.file("/etc/sysctl.d/60-wirefleet.conf").exists


def test_nat_on_real_packets(hub, desktop, internet):
    """A packet a peer sends into the tunnel towards the uplink leaves the hub with the hub's address.

    The desktop is a split-tunnel client, so for this check it routes one more /32 (the internet host)
    into the tunnel for a moment. Without the hub's masquerade the packet would carry its tunnel source
    onto the uplink bridge, where docker drops it: wf-star-internet would see nothing."""
    hub_key = wv.public_key(hub, IF)
    capture = start_capture(internet, "eth0", "icmp[icmptype] == icmp-echo", "nat")
    try:
        desktop.run_expect([0], "wg set wg0 peer %s allowed-ips %s,%s/32" % (hub_key, VPN, INTERNET))
        desktop.run_expect([0], "ip route replace %s/32 dev wg0" % INTERNET)
        desktop.run_expect([0], "ping -c 2 -W 2 %s", INTERNET)
    finally:
        desktop.run("ip route del %s/32 dev wg0" % INTERNET)
        desktop.run_expect([0], "wg-quick strip wg0 > /tmp/wg0.strip && wg syncconf wg0 /tmp/wg0.strip")
    lines = read_capture(internet, capture)
    assert lines and "IP %s > %s: ICMP echo request" % (HUB_UPLINK, INTERNET) in lines[0], lines
    assert wv.allowed_ips(desktop, IF) == {hub_key: [VPN]}


# ---------------------------------------------------------------- growing the fleet

def _run_site(tmp_path, extra_inventory):
    """site.yml (through converge.yml) over molecule's inventory plus an extra file; returns the json report."""
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(ephemeral, "ansible.cfg"), encoding="utf-8") as handle:
        # profile_tasks would print into the json on stdout
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))
    (tmp_path / "ansible.cfg").write_text(cfg)
    (tmp_path / "extra.yml").write_text(extra_inventory)
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    playbook = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(ephemeral, "inventory"), "-i", str(tmp_path / "extra.yml"), playbook]
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    report = json.loads(proc.stdout[proc.stdout.index("{"):]) if "{" in proc.stdout else {}
    assert proc.returncode == 0, "site.yml failed (%d):\n%s\n%s" % (proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:])
    report["seconds"] = time.monotonic() - started
    return report


def _changed_on_host(report):
    """{host: [tasks that changed something ON the host]}; controller-side store writes (delegated to
    localhost, e.g. leases.json attributed to the first host of the play) are not changes of the host."""
    changed = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, result in task["hosts"].items():
                changed.setdefault(name, [])
                delegated = (result.get("_ansible_delegated_vars") or {}).get("ansible_host") in ("localhost", "127.0.0.1")
                if result.get("changed") and not delegated:
                    changed[name].append(task["task"]["name"])
    return changed


class _Ping:
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


GROW = """
all:
  children:
    wireguard_clients:
      hosts:
        wf-star-newbie:
"""

SHRINK = """
all:
  children:
    wireguard_clients:
      hosts:
        wf-star-newbie:
          wireguard_state: absent
"""


def _assert_only_hub_and_newbie_changed(report):
    changed = _changed_on_host(report)
    assert changed.get("wf-star-hub"), "the hub did not change"
    assert changed.get(NEWBIE), "the new host did not change"
    for name in CLIENTS:
        assert changed.get(name) == [], "%s changed: %s" % (name, changed.get(name))
    assert report["stats"]["wf-star-laptop"]["changed"] == 0 and report["stats"]["wf-star-pi"]["changed"] == 0


def test_grow_fleet(tmp_path, hub, desktop, laptop, pi, newbie):
    before = set(wv.allowed_ips(hub, IF))
    assert len(before) == 3
    ping = _Ping(desktop, tunnel_address(laptop, IF))
    try:
        report = _run_site(tmp_path, GROW)
    finally:
        sent, missing, out = ping.stop()
    print("grow: site.yml %.0f s, ping %d packets across desktop->hub->laptop, lost %s"
          % (report["seconds"], sent, missing))
    assert missing == [], "ping across an existing tunnel lost packets during the converge:\n%s" % out
    assert sent >= 4 * report["seconds"] * 0.8  # the ping really ran all along (5/s)
    _assert_only_hub_and_newbie_changed(report)

    newbie_key = wv.public_key(newbie, IF)
    after = wv.allowed_ips(hub, IF)
    assert set(after) == before | {newbie_key}
    assert after[newbie_key] == ["%s/32" % tunnel_address(newbie, IF)]
    wv.assert_private_files(newbie, IF)
    newbie.run_expect([0], "ping -c 2 -W 2 %s", tunnel_address(pi, IF))  # through the hub
    wv.wait_for_handshakes(newbie, IF, 1)
    wv.wait_for_handshakes(hub, IF, 4)


def test_shrink_fleet(tmp_path, hub, desktop, laptop, newbie):
    newbie_key = wv.public_key(newbie, IF)
    ping = _Ping(desktop, tunnel_address(laptop, IF))
    try:
        report = _run_site(tmp_path, SHRINK)
    finally:
        sent, missing, out = ping.stop()
    print("shrink: site.yml %.0f s, ping %d packets, lost %s" % (report["seconds"], sent, missing))
    assert missing == [], "ping across an existing tunnel lost packets during the converge:\n%s" % out
    assert sent >= 4 * report["seconds"] * 0.8
    _assert_only_hub_and_newbie_changed(report)
    assert newbie_key not in wv.allowed_ips(hub, IF)
    assert len(wv.allowed_ips(hub, IF)) == 3
    assert newbie_key not in hub.file("/etc/wireguard/wg0.conf").content_string
    assert newbie.run("ip link show wg0").rc != 0
    assert not newbie.file("/etc/wireguard/wg0.conf").exists
    assert not newbie.service("wg-quick@wg0").is_enabled
