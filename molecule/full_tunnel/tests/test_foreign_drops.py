"""The gateway also runs "Docker" (prepare.yml: iptables FORWARD policy DROP, DOCKER-USER): with the nftables
backend the firewall role must place its forward accepts in front of that drop, or the laptop's traffic dies
on the gateway while the converge reports success. A user's own nftables table that drops makes the converge fail
that host, naming the table and chain, before its tunnel comes up.

Runs before test_full_tunnel.py (file names sort) and leaves the gateway as converged.
"""

import os
import re
import subprocess
import sys
import time

import pytest

import wirefleet_verify as wv

GATEWAY, LAPTOP, INTERNET = ("wf-full_tunnel-%s" % n for n in ("gateway", "laptop", "internet"))
GATEWAY_VPN, INTERNET_ADDRESS = "198.18.70.2", "198.18.69.100"
DOCKER_RESTART = ("iptables -w -D FORWARD -j DOCKER-USER; iptables -w -I FORWARD 1 -j DOCKER-USER; "
                  "iptables -w -P FORWARD DROP")
USER_TABLE = ("nft add table inet userfw && nft add chain inet userfw forward "
              "'{ type filter hook forward priority 0; policy drop; }'")


@pytest.fixture(scope="module")
def internet():
    node = wv.host(INTERNET)
    node.run("pkill -f 'nc -lk 8081'")
    node.run_expect([0], "nohup timeout 300 nc -lk 8081 >/dev/null 2>&1 &")
    time.sleep(0.5)
    yield node
    node.run("pkill -f 'nc -lk 8081'")


def converge_gateway():
    """site.yml (through converge.yml) on the gateway only, its firewall and interface phases (the other phases
    are proven by molecule's converge and idempotence steps); (rc, output)."""
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(ephemeral, "inventory"), "--limit", GATEWAY, "--tags", "firewall,interface",
               os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")]
    env = dict(os.environ, ANSIBLE_CONFIG=os.environ.get("ANSIBLE_CONFIG") or os.path.join(ephemeral, "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap_changed(output):
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)   # molecule forces colours on
    found = re.search(r"^%s\s*:.*\bchanged=(\d+)" % re.escape(GATEWAY), plain, re.M)
    assert found, output[-3000:]
    return int(found.group(1))


def passes(laptop):
    """(ICMP, TCP) from the laptop through the gateway to the internet host."""
    icmp = laptop.run("ping -c 2 -W 2 %s", INTERNET_ADDRESS).rc == 0
    tcp = laptop.run("nc -z -w 3 %s 8081", INTERNET_ADDRESS).rc == 0
    return icmp, tcp


def test_docker_drop_stays_and_our_accepts_come_first(gateway):
    rules = gateway.check_output("iptables -w -S FORWARD").splitlines()
    assert "-P FORWARD DROP" in rules
    assert [rule for rule in rules if rule.startswith("-A")][:2] == ["-A FORWARD -j WIREFLEET-PASS-FORWARD",
                                                                     "-A FORWARD -j DOCKER-USER"], rules
    placed = gateway.check_output("iptables -w -S WIREFLEET-PASS-FORWARD")
    # the exit accept placed first in FORWARD goes only out of the NAT uplink, never into Docker's bridges
    assert re.search(r'-A WIREFLEET-PASS-FORWARD -i gateway0 -o (\S+) .*"gateway0: exit gateway, out of \1" -j ACCEPT',
                     placed), placed
    assert not re.search(r'-A WIREFLEET-PASS-FORWARD -i gateway0 -m comment', placed), placed
    # only accepts: wirefleet's own drops stay in its nftables table
    assert "DROP" not in placed and "REJECT" not in placed
    assert gateway.service("wirefleet-pass").is_enabled and gateway.service("wirefleet-pass").is_running
    assert "gateway0: exit gateway" in gateway.check_output("nft list table inet wirefleet")


def test_traffic_passes_and_survives_what_dockerd_does_on_restart(gateway, laptop, internet):
    assert passes(laptop) == (True, True)
    # dockerd on (re)start moves its DOCKER-USER jump back to the top and sets the DROP policy again
    gateway.run_expect([0], DOCKER_RESTART)
    assert passes(laptop) == (True, True)


def test_nftables_restart_flushes_everything_and_the_accepts_are_placed_again(gateway, laptop, internet):
    # nftables.service's flush ruleset also empties iptables-nft's tables: wirefleet-pass is PartOf it
    gateway.run_expect([0], "systemctl restart nftables")
    # systemctl returns once nftables.service is up; the restart it propagates to wirefleet-pass (PartOf, ordered
    # after it) may still be running then: wait for it, as a boot would.
    gateway.run_expect([0], "for i in $(seq 1 40); do iptables -w -C FORWARD -j WIREFLEET-PASS-FORWARD 2>/dev/null "
                            "&& exit 0; sleep 0.25; done; systemctl status wirefleet-pass --no-pager; exit 1")
    gateway.run_expect([0], "nft list table inet wirefleet")
    gateway.run_expect([0], "iptables -w -N DOCKER-USER 2>/dev/null; iptables -w -A DOCKER-USER -j RETURN; "
                            + DOCKER_RESTART)   # "dockerd" puts its rules back
    assert passes(laptop) == (True, True)


def test_without_the_placed_accepts_traffic_is_dropped_until_the_next_converge(gateway, laptop, internet):
    gateway.run_expect([0], "iptables -w -D FORWARD -j WIREFLEET-PASS-FORWARD")
    assert passes(laptop) == (False, False), "the FORWARD DROP policy should drop the laptop's ICMP and TCP"
    rc, output = converge_gateway()
    assert rc == 0, output[-4000:]
    assert "wirefleet's forward accepts are placed in WIREFLEET-PASS-FORWARD" in output
    assert passes(laptop) == (True, True)
    rc, output = converge_gateway()
    assert rc == 0 and recap_changed(output) == 0, output[-4000:]


def test_a_user_table_that_drops_fails_the_host_before_its_tunnel_comes_up(gateway, laptop):
    gateway.run_expect([0], "systemctl stop wg-quick@gateway0")
    gateway.run_expect([0], USER_TABLE)
    try:
        rc, output = converge_gateway()
        assert rc != 0, output[-4000:]
        assert "table inet userfw, chain forward (hook forward, policy drop) would drop forwarded packets" in output
        assert not gateway.service("wg-quick@gateway0").is_running
        assert gateway.run("ip link show gateway0").rc != 0
    finally:
        gateway.run("nft delete table inet userfw")
        gateway.run_expect([0], "systemctl start wg-quick@gateway0")
        # the gateway came back with no session: restart the laptop's end for a handshake now, not in 15 s
        laptop.run_expect([0], "systemctl restart wg-quick@wg0")
    laptop.run_expect([0], "ping -c 1 -w 20 %s", GATEWAY_VPN)
