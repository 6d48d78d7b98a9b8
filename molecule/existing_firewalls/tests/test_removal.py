"""Every host leaves the network (wireguard_state: absent): wirefleet's objects are gone from each tool, the
tools keep running with the user's own configuration."""

import re

import ef_fleet as ef


def test_absent_hosts_lose_wirefleets_rules_from_every_tool(nodes):
    rc, output = ef.run_site("-e", "wireguard_state=absent")
    assert rc == 0, output[-4000:]
    hub, gateway, docker, desktop = nodes[ef.HUB], nodes[ef.GATEWAY], nodes[ef.DOCKER], nodes[ef.DESKTOP]
    # ufw: none of our rules, no NAT block, the user's SSH rule and defaults untouched
    status = hub.check_output("ufw status verbose")
    assert "wirefleet" not in status.lower() and "Status: active" in status, status
    assert re.search(r"^22/tcp\s+ALLOW IN\s+Anywhere", status, re.M), status
    assert "wirefleet" not in hub.check_output("cat /etc/ufw/before.rules /etc/ufw/before6.rules").lower()
    assert ef.VPN not in hub.check_output("iptables -w -t nat -S")
    # firewalld: no zone or policy of ours, still running
    assert gateway.check_output("firewall-cmd --state") == "running"
    for listing in ("--get-zones", "--get-policies", "--permanent --get-zones", "--permanent --get-policies"):
        assert "wirefleet" not in gateway.check_output("firewall-cmd %s" % listing), listing
    assert "wg0" not in gateway.check_output("firewall-cmd --get-active-zones")
    # nftables hosts: no table, no placed chains; Docker's and the user's state as they were
    for node in (docker, desktop):
        assert node.run("nft list table inet wirefleet").rc != 0
    forward = docker.check_output("iptables -w -S FORWARD")
    assert "WIREFLEET" not in forward and "-P FORWARD DROP" in forward and "-j DOCKER-USER" in forward, forward
    assert desktop.check_output("nft list table inet userfw") == desktop.check_output("cat /root/userfw.before")
    for node in (hub, gateway, docker, desktop):
        assert node.run("ip link show wg0").rc != 0
