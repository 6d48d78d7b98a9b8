"""playbooks/drift.yml: nothing changes, each host gets a line, and the exit status tells drift from none. A
peer removed by hand on the ufw hub and the nftables table deleted on the Docker gateway are named; the next
converge repairs both."""

import re

import wirefleet_verify as wv

import ef_fleet as ef


def drift_lines(output):
    return re.findall(r'"((?:DRIFT|ok|UNCHECKED) [^"]*)"', output)


def test_a_converged_fleet_has_no_drift():
    rc, output = ef.run_drift()
    assert rc == 0, output[-4000:]
    lines = drift_lines(output)
    assert sorted(line.split()[1].rstrip(":") for line in lines) == sorted(ef.TUNNEL), lines
    assert all(line.startswith("ok ") for line in lines), lines
    assert "drift: 0 host(s), ok: 4, not checked: 0" in output


def test_drift_is_named_changes_nothing_and_the_next_converge_repairs_it(nodes):
    hub, docker, desktop = nodes[ef.HUB], nodes[ef.DOCKER], nodes[ef.DESKTOP]
    hub.run_expect([0], "wg set wg0 peer %s remove" % wv.public_key(desktop, ef.IF))
    docker.run_expect([0], "nft delete table inet wirefleet")
    rc, output = ef.run_drift()
    assert rc != 0, output[-4000:]
    lines = {line.split()[1].rstrip(":"): line for line in drift_lines(output)}
    assert lines[ef.HUB].startswith("DRIFT ") and ef.DESKTOP in lines[ef.HUB], lines
    assert lines[ef.DOCKER].startswith("DRIFT ") and "rules (would change)" in lines[ef.DOCKER], lines
    assert lines[ef.GATEWAY].startswith("ok ") and lines[ef.DESKTOP].startswith("ok "), lines
    assert "Drift found" in output
    # drift.yml changed nothing
    assert wv.public_key(desktop, ef.IF) not in hub.check_output("wg show wg0 peers")
    assert docker.run("nft list table inet wirefleet").rc != 0
    rc, output = ef.run_site()
    assert rc == 0, output[-4000:]
    changed = ef.recap(output)
    assert changed[ef.HUB] > 0 and changed[ef.DOCKER] > 0, changed
    assert wv.public_key(desktop, ef.IF) in hub.check_output("wg show wg0 peers")
    docker.run_expect([0], "nft list table inet wirefleet")
    assert ef.broken_paths(nodes, "Docker") == []
