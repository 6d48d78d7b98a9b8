"""playbooks/drift.yml: nothing changes, each host gets a line, and the exit status tells drift from none. A
peer removed by hand on the ufw hub and the nftables table deleted on the Docker gateway are named; the next
scheduled converge repairs both and reports "drift repaired". The schedule's units install and pass
systemd-analyze verify."""

import os
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
    assert "no drift - drift: 0 host(s), ok: 4, not checked: 0" in output


def test_drift_is_named_changes_nothing_and_the_next_converge_repairs_it(nodes, tmp_path):
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
    # the scheduled converge repairs it and says so: exit status 3, "drift repaired", the two hosts named
    rc, output, lines = ef.run_scheduled(tmp_path)
    assert rc == 3, output[-4000:]
    assert lines[-1]["result"] == "drift repaired", lines
    status = {line["host"]: line["status"] for line in lines[:-1]}
    assert status == {ef.HUB: "drift", ef.DOCKER: "drift", ef.GATEWAY: "ok", ef.DESKTOP: "ok"}, lines
    assert wv.public_key(desktop, ef.IF) in hub.check_output("wg show wg0 peers")
    docker.run_expect([0], "nft list table inet wirefleet")
    assert ef.broken_paths(nodes, "Docker") == []


def test_the_schedule_installs_a_verified_persistent_timer_and_removes_it(nodes):
    """playbooks/schedule.yml on the internet host, standing in for a controller with systemd (its role runs
    systemd-analyze verify itself; checked again here)."""
    internet = nodes[ef.INTERNET]
    settings = ["-e", "wireguard_controller=%s" % ef.INTERNET, "-e", "wireguard_schedule_inventory=/srv/fleet/hosts.yml",
                "-e", "wireguard_schedule_python=/usr/bin/python3", "-e", "wireguard_schedule_user=root",
                "-e", "wireguard_schedule_ansible_playbook=/usr/local/bin/ansible-playbook",
                "-e", "wireguard_schedule_working_directory=/srv/fleet", "-e", "wireguard_schedule_on_calendar=*:0/30"]
    schedule = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "schedule.yml")
    rc, output = ef.run_playbook(schedule, *settings)
    assert rc == 0, output[-4000:]
    internet.run_expect([0], "systemd-analyze verify /etc/systemd/system/wirefleet-converge.service "
                             "/etc/systemd/system/wirefleet-converge.timer")
    timer = internet.check_output("systemctl show wirefleet-converge.timer -p Persistent -p UnitFileState -p ActiveState")
    assert set(timer.splitlines()) >= {"Persistent=yes", "UnitFileState=enabled", "ActiveState=active"}, timer
    assert "*:0/30" in internet.check_output("systemctl cat wirefleet-converge.timer")
    rc, output = ef.run_playbook(schedule, *settings)
    assert rc == 0 and ef.recap(output)[ef.INTERNET] == 0, output[-4000:]
    rc, output = ef.run_playbook(schedule, *settings, "-e", "wireguard_schedule_state=absent")
    assert rc == 0, output[-4000:]
    assert internet.run("systemctl cat wirefleet-converge.timer").rc != 0
    assert not internet.file("/usr/local/libexec/wirefleet-converge").exists
