"""playbooks/verify.yml on the converged demo fleet: every managed host has a recent handshake with each
expected peer and pings it, the hub and the laptop reach the LAN host behind the gateway (wireguard_lan_probe),
the firewall rules are in place; the phone (unmanaged) is named but not required. A peer whose tunnel is cut, a
LAN route broken behind fine handshakes and a firewall table removed by hand each make it fail, by name."""

import json
import os
import re
import subprocess
import sys

import testinfra

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
VERIFY = os.path.join(PROJECT, "playbooks", "verify.yml")
CHECK = "Check the host"


def _verify(tmp_path, *args):
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(EPHEMERAL, "ansible.cfg"), encoding="utf-8") as handle:
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))
    (tmp_path / "ansible.cfg").write_text(cfg)
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(EPHEMERAL, "inventory"), VERIFY] + list(args)
    proc = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    checks = {host: result for play in report["plays"] for task in play["tasks"] if task["task"]["name"] == CHECK
              for host, result in task["hosts"].items()}
    return proc.returncode, checks


def test_verify_passes_on_the_converged_fleet(tmp_path):
    rc, checks = _verify(tmp_path, "-e", "wireguard_verify_textfile=/tmp/wirefleet.prom")
    assert rc == 0, checks
    assert sorted(checks) == ["wf-demo-gateway", "wf-demo-hub", "wf-demo-laptop"]
    assert "not checked (unmanaged): wf-demo-phone" in checks["wf-demo-hub"]["msg"]
    # the textfile for node_exporter: every peer of the hub with a fresh handshake, bytes moved, ping answered
    metrics = testinfra.get_host("docker://wf-demo-hub").file("/tmp/wirefleet.prom").content_string
    for peer in ("wf-demo-gateway", "wf-demo-laptop", "wf-demo-phone"):
        age = re.search(r'^wirefleet_peer_handshake_age_seconds\{interface="wg0",peer="%s",public_key="[^"]+"\} '
                        r'(-?\d+)$' % peer, metrics, re.M)
        assert age, metrics
        assert peer == "wf-demo-phone" or 0 <= int(age.group(1)) < 180, metrics
        assert re.search(r'^wirefleet_peer_receive_bytes_total\{[^}]*peer="%s"[^}]*\} [1-9]' % peer, metrics, re.M) or \
            peer == "wf-demo-phone", metrics
    assert re.search(r'^wirefleet_peer_ping_ok\{[^}]*peer="wf-demo-laptop"[^}]*\} 1$', metrics, re.M), metrics
    assert re.search(r'^wirefleet_lan_probe_ok\{address="198.18.24.20",gateway="wf-demo-gateway"\} 1$', metrics, re.M)


def test_verify_fails_when_a_tunnel_is_cut(tmp_path):
    """The laptop drops its hub peer: it has no handshake with the hub any more, and verify says so by name."""
    laptop = testinfra.get_host("docker://wf-demo-laptop")
    laptop.run_expect([0], "cp /etc/wireguard/wg0.conf /tmp/wg0.conf.keep")
    hub_key = laptop.check_output("wg show wg0 peers").split()[0]
    try:
        laptop.run_expect([0], "wg set wg0 peer %s remove" % hub_key)
        rc, checks = _verify(tmp_path)
        assert rc != 0
        assert checks["wf-demo-laptop"].get("failed") and "wf-demo-hub" in checks["wf-demo-laptop"]["msg"], checks
    finally:
        laptop.run_expect([0], "wg-quick strip wg0 > /tmp/wg0.strip && wg syncconf wg0 /tmp/wg0.strip")


def test_verify_pings_the_lan_behind_the_gateway_and_sees_the_firewall(tmp_path):
    rc, checks = _verify(tmp_path)
    assert rc == 0, checks
    for host in ("wf-demo-hub", "wf-demo-laptop"):  # both route the gateway's LAN
        assert "1 LAN probe(s) answered" in checks[host]["msg"], checks
    assert "firewall nftables: " in checks["wf-demo-hub"]["msg"] and "rule(s) in place" in checks["wf-demo-hub"]["msg"]


def test_verify_fails_when_the_lan_route_is_broken_behind_fine_handshakes(tmp_path):
    """The LAN host loses its route back to the VPN (what a LAN router reboot does): every tunnel still
    handshakes and answers, but the LAN behind the gateway is unreachable from the VPN, and verify names it."""
    lanhost = testinfra.get_host("docker://wf-demo-lanhost")
    route = lanhost.check_output("ip -4 route show 198.18.25.0/24")
    assert route, "the LAN host has no route to the VPN to break"
    try:
        lanhost.run_expect([0], "ip route del 198.18.25.0/24")
        rc, checks = _verify(tmp_path)
        assert rc != 0
        assert checks["wf-demo-laptop"].get("failed"), checks
        assert checks["wf-demo-laptop"]["msg"].startswith("No answer from LAN address(es) 198.18.24.20 behind "
                                                          "wf-demo-gateway"), checks  # its only problem
        assert not any("No handshake" in result["msg"] or "No answer across" in result["msg"]
                       for result in checks.values()), checks
    finally:
        lanhost.run_expect([0], "ip route replace %s" % route.strip())


def test_verify_fails_when_the_firewall_table_is_removed(tmp_path):
    hub = testinfra.get_host("docker://wf-demo-hub")
    try:
        hub.run_expect([0], "nft delete table inet wirefleet")
        rc, checks = _verify(tmp_path)
        assert rc != 0
        assert checks["wf-demo-hub"].get("failed") and "nftables rules" in checks["wf-demo-hub"]["msg"], checks
    finally:
        hub.run_expect([0], "systemctl restart wirefleet-nftables.service")
