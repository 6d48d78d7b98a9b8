"""Each firewall tool reloaded or restarted the way its users do: wirefleet's rules survive in that tool's
terms and every path still carries ICMP, TCP and UDP; afterwards a converge finds nothing to do. A drop the
user has not vouched for fails the host and leaves its running tunnel alone."""

import re

import pytest

import wirefleet_verify as wv

import ef_fleet as ef


def wait_for(node, command, what):
    node.run_expect([0], "for i in $(seq 1 60); do %s >/dev/null 2>&1 && exit 0; sleep 0.25; done; exit 1" % command)


@pytest.mark.parametrize("what, host, command, ready, only", [
    ("ufw reload", ef.HUB, "ufw reload", "ufw status", "desktop"),
    ("ufw disable + enable", ef.HUB, "ufw disable && ufw --force enable", "ufw status", "desktop"),
    ("firewall-cmd --reload", ef.GATEWAY, "firewall-cmd --reload", "firewall-cmd --state", "LAN host"),
    ("firewalld restart", ef.GATEWAY, "systemctl restart firewalld", "firewall-cmd --state", "LAN host"),
    ("dockerd's restart sequence", ef.DOCKER, ef.DOCKER_RESTART, "true", "Docker"),
    # the user's /etc/nftables.conf starts with `flush ruleset`: wirefleet's unit is PartOf nftables.service
    ("nftables restart", ef.DESKTOP, "systemctl restart nftables",
     "nft list table inet wirefleet", "desktop"),
])
def test_traffic_survives(nodes, what, host, command, ready, only):
    nodes[host].run_expect([0], command)
    wait_for(nodes[host], ready, what)
    assert ef.broken_paths(nodes, only) == [], what


def test_the_hub_nat_is_there_exactly_once_after_the_reloads(nodes):
    nat = nodes[ef.HUB].check_output("iptables -w -t nat -S")
    assert len(re.findall(r"-s %s .*-j MASQUERADE" % re.escape(ef.VPN), nat)) == 1, nat


def test_after_the_reloads_the_scheduled_converge_finds_no_drift(nodes, tmp_path):
    rc, output, lines = ef.run_scheduled(tmp_path)
    assert rc == 0, output[-4000:]
    assert lines[-1]["result"] == "no drift", (lines, ef.changed_tasks(output))
    assert {line["host"]: line["status"] for line in lines[:-1]} == {host: "ok" for host in ef.TUNNEL}, lines
    changed = ef.recap(output)
    assert changed and not any(changed.values()), ef.changed_tasks(output)


def test_an_untrusted_drop_fails_the_host_and_leaves_its_tunnel_running(nodes):
    desktop = nodes[ef.DESKTOP]
    rc, output = ef.run_site("--limit", ef.DESKTOP, "-e", '{"wireguard_firewall_trusted_chains": []}')
    assert rc != 0, output[-4000:]
    assert "table inet userfw, chain input (hook input, policy drop) would drop the WireGuard port" in output, \
        output[-4000:]
    assert "'inet userfw input' in wireguard_firewall_trusted_chains" in output
    # nothing that worked is lost: the role stopped before touching the interface
    wv.assert_service_up(desktop, ef.IF)
    desktop.run_expect([0], "ping -c 1 -W 2 %s" % ef.TUNNEL[ef.HUB])
    assert desktop.check_output("nft list table inet userfw") == desktop.check_output("cat /root/userfw.before")
