"""Each firewall kind has a test that fails if wirefleet's rules are removed from that tool: removed by hand (as a
user, a cleanup script or another tool would), the traffic through that host breaks, playbooks/verify.yml fails
that host naming the backend, and the next converge puts the rules back."""

import os
import re

import ef_fleet as ef

# In each tool's own terms: what removes wirefleet's rules there (the user's own rules stay).
REMOVE = {
    # every ufw rule wirefleet added (comment 'wirefleet: ...'), highest number first
    ef.HUB: "for n in $(ufw status numbered | grep -i wirefleet | sed -E 's/^\\[ *([0-9]+)\\].*/\\1/' | sort -rn); "
            "do ufw --force delete $n >/dev/null; done; ufw status numbered | grep -ci wirefleet || true",
    # the WireGuard interface out of wirefleet's zone, at runtime (what a user's firewall-cmd does)
    ef.GATEWAY: "firewall-cmd --zone=wirefleet --remove-interface=wg0",
    # the jump at the top of FORWARD to the accepts placed before Docker's DROP policy
    ef.DOCKER: "iptables -w -D FORWARD -j WIREFLEET-PASS-FORWARD",
    # the whole table of the nftables backend
    ef.DESKTOP: "nft delete table inet wirefleet",
}
FIREWALL_PROBLEM = "rules on this host are not as converged"


def run_verify():
    """(rc, output, hosts that failed, hosts whose failure names their firewall rules)."""
    rc, output = ef.run_playbook(os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "verify.yml"))
    failures = {}
    for part in re.split(r"^fatal: \[", output, flags=re.M)[1:]:
        host, text = part.split("]", 1)
        failures[host] = re.split(r"^(?:TASK \[|PLAY RECAP)", text, flags=re.M)[0]  # its (multi-line) result
    # whitespace made single: a callback may fold long messages over lines
    firewall = {host for host, text in failures.items() if FIREWALL_PROBLEM in " ".join(text.split())}
    return rc, output, set(failures), firewall


def test_verify_passes_on_the_converged_fleet_with_its_lan_probes():
    rc, output, failed = run_verify()[:3]
    assert rc == 0 and not failed, output[-4000:]
    assert "198.19.4.20" in output and "198.19.8.20" in output  # the LAN probes of both gateways ran


def test_without_wirefleets_rules_in_each_tool_traffic_breaks_verify_fails_and_a_converge_repairs(nodes):
    try:
        _remove_break_verify_repair(nodes)
    finally:
        ef.run_site()  # whatever failed, the next tests start from a converged fleet


def _remove_break_verify_repair(nodes):
    # the gateways and the desktop first, the hub still intact: the paths through the hub between peers still pass
    for host in (ef.GATEWAY, ef.DOCKER, ef.DESKTOP):
        nodes[host].run_expect([0], REMOVE[host])
    broken = ef.broken_paths(nodes)
    assert ("desktop -> LAN host (hub, firewalld gateway)", "tcp") in broken, broken
    assert ("desktop -> Docker LAN host (hub, Docker gateway, NAT)", "tcp") in broken, broken
    assert not [path for path in broken if path[0].startswith("desktop -> Docker gateway")], broken
    rc, output, failed, firewall = run_verify()
    # the hub fails too: the LANs behind the broken gateways do not answer its probes
    assert rc != 0 and firewall == {ef.GATEWAY, ef.DOCKER, ef.DESKTOP}, (firewall, failed, output[-3000:])
    assert ef.HUB in failed and ef.HUB not in firewall
    rc, output = ef.run_site()
    assert rc == 0, output[-4000:]
    changed = ef.recap(output)
    assert all(changed[host] for host in (ef.GATEWAY, ef.DOCKER, ef.DESKTOP)), changed
    assert ef.broken_paths(nodes) == []
    # then the ufw hub alone
    nodes[ef.HUB].run_expect([0], REMOVE[ef.HUB])
    assert nodes[ef.HUB].check_output(REMOVE[ef.HUB]).strip().splitlines()[-1] == "0"
    broken = ef.broken_paths(nodes, "desktop -> Docker gateway")
    assert ("desktop -> Docker gateway (hub, between peers)", "tcp") in broken, broken
    rc, output, failed, firewall = run_verify()
    assert rc != 0 and ef.HUB in firewall, output[-6000:]
    rc, output = ef.run_site()
    assert rc == 0 and ef.recap(output)[ef.HUB], output[-4000:]
    assert ef.broken_paths(nodes) == []
