"""playbooks/verify.yml's exit probe: the laptop (full tunnel) fetches wireguard_exit_probe_url, a what-is-my-IP
service on the internet host (prepare.yml), and the service must see the exit gateway's wan address
(wireguard_exit_probe_address of the gateway). verify passes on the converged fleet and writes the result for
node_exporter; it fails naming the laptop, the gateway and the addresses when the gateway's masquerade rule is
deleted by hand (nothing comes back; a converge repairs it) and when the laptop's full tunnel is bypassed by a
direct link to the "internet" (the service sees the laptop's own address; removing the link repairs it).
Without the address given, it is expected to be the gateway's endpoint, which here is not where the NAT leaves.
"""

import json
import os
import re
import subprocess
import sys

import wirefleet_verify as wv

GATEWAY, LAPTOP, INTERNET = ("wf-full_tunnel-%s" % n for n in ("gateway", "laptop", "internet"))
GATEWAY_WAN, GATEWAY_ENDPOINT, INTERNET_ADDRESS = "198.18.69.10", "198.18.68.10", "198.18.69.100"
URL = "http://%s:8000/ip" % INTERNET_ADDRESS
WAN_NETWORK, LAPTOP_ON_WAN = "wf-full_tunnel-wan", "198.18.69.20"   # the bypass: a direct link, same subnet
HEAD = "exit probe of %s through exit gateway %s: " % (LAPTOP, GATEWAY)
CHECK = "Check the host"
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")


def one_line(text):
    return " ".join(str(text).split())


def ansible_playbook(tmp_path, playbook, *args, json_output=False):
    """(rc, stdout) of ansible-playbook on the scenario's inventory (JSON callback when json_output)."""
    with open(os.environ.get("ANSIBLE_CONFIG") or os.path.join(EPHEMERAL, "ansible.cfg"), encoding="utf-8") as handle:
        cfg = "".join(line for line in handle if not line.startswith("callbacks_enabled"))
    (tmp_path / "ansible.cfg").write_text(cfg)
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    if json_output:
        env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(EPHEMERAL, "inventory"), playbook] + list(args)
    proc = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + ("" if json_output else proc.stderr)


def verify(tmp_path, *args):
    """(rc, {host: message of "Check the host"}) of playbooks/verify.yml."""
    rc, out = ansible_playbook(tmp_path, os.path.join(PROJECT, "playbooks", "verify.yml"), *args, json_output=True)
    report = json.loads(out[out.index("{"):])
    checks = {host: one_line(result.get("msg", "")) for play in report["plays"] for task in play["tasks"]
              if task["task"]["name"] == CHECK for host, result in task["hosts"].items()}
    return rc, checks


def converge_gateway(tmp_path):
    """site.yml (converge.yml) on the gateway, its firewall and interface phases, as test_foreign_drops does."""
    rc, out = ansible_playbook(tmp_path, os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
                               "--limit", GATEWAY, "--tags", "firewall,interface")
    assert rc == 0, out[-4000:]


# The laptop's checks alone, without the firewall role in check mode (the slow part of verify, covered above)
LAPTOP_ONLY = ("--limit", LAPTOP, "-e", "wireguard_verify_firewall=false")


def assert_passes(tmp_path, *args):
    rc, checks = verify(tmp_path, *args)
    assert rc == 0, checks
    assert "traffic leaves %s as %s" % (GATEWAY, GATEWAY_WAN) in checks[LAPTOP], checks


def fetch(node):
    return node.check_output("python3 -c \"import urllib.request; print(urllib.request.urlopen('%s', timeout=5)"
                             ".read().decode().strip())\"" % URL)


def test_the_service_answers_with_the_callers_address(gateway, laptop):
    assert wv.host(INTERNET).service("wf-whoami").is_running
    assert fetch(gateway) == GATEWAY_WAN   # the gateway's own request leaves from its wan address
    assert fetch(laptop) == GATEWAY_WAN    # the laptop's, through the tunnel, masqueraded behind it


def test_verify_passes_and_writes_the_exit_metric(tmp_path, laptop):
    rc, checks = verify(tmp_path, "-e", "wireguard_verify_textfile=/tmp/wirefleet.prom")
    assert rc == 0, checks
    assert "traffic leaves %s as %s" % (GATEWAY, GATEWAY_WAN) in checks[LAPTOP], checks
    assert "traffic leaves" not in checks[GATEWAY]   # no full tunnel: nothing to probe
    metrics = laptop.file("/tmp/wirefleet.prom").content_string
    assert ('wirefleet_exit_probe_ok{interface="wg0",gateway="%s",expected="%s",seen="%s"} 1\n'
            % (GATEWAY, GATEWAY_WAN, GATEWAY_WAN)) in metrics, metrics


def test_verify_fails_naming_the_laptop_when_the_masquerade_is_deleted_until_a_converge(tmp_path, gateway, laptop):
    ruleset = gateway.check_output("nft -a list table inet wirefleet")
    found = [(chain, handle) for chain, body in re.findall(r"chain (\S+) \{(.*?)\n\t\}", ruleset, re.S)
             for handle in re.findall(r"masquerade .*# handle (\d+)", body)]
    assert len(found) == 1, ruleset
    gateway.run_expect([0], "nft delete rule inet wirefleet %s handle %s" % found[0])
    try:
        rc, checks = verify(tmp_path)
        assert rc != 0, checks
        problem = HEAD + "no answer from %s (expected to leave as %s; " % (URL, GATEWAY_WAN)
        assert checks[LAPTOP].startswith(problem), checks   # its only problem: the tunnel itself is fine
        assert "nftables rules on this host are not as converged" in checks[GATEWAY], checks
    finally:
        converge_gateway(tmp_path)
    assert_passes(tmp_path)


def test_verify_fails_naming_both_addresses_when_the_full_tunnel_is_bypassed(tmp_path, laptop):
    # A direct link to the "internet": its connected route beats wg-quick's default route (suppress_prefixlength 0),
    # as a local network does on a real laptop; the service sees the laptop's own address.
    subprocess.run(["docker", "network", "connect", "--ip", LAPTOP_ON_WAN, WAN_NETWORK, LAPTOP], check=True,
                   capture_output=True, timeout=60)
    try:
        assert fetch(laptop) == LAPTOP_ON_WAN
        rc, checks = verify(tmp_path, *LAPTOP_ONLY)
        assert rc != 0, checks
        assert checks[LAPTOP].startswith(HEAD + "%s saw %s, expected %s (" % (URL, LAPTOP_ON_WAN, GATEWAY_WAN)), checks
        assert "full tunnel is bypassed" in checks[LAPTOP] and "No answer across" not in checks[LAPTOP], checks
    finally:
        subprocess.run(["docker", "network", "disconnect", WAN_NETWORK, LAPTOP], check=False, capture_output=True,
                       timeout=60)
    # the repair is the link removed: a converge cannot take away a network the host is on
    assert fetch(laptop) == GATEWAY_WAN
    assert_passes(tmp_path, *LAPTOP_ONLY)


def test_without_the_address_the_endpoint_is_expected_and_here_that_is_wrong(tmp_path):
    # the endpoint the laptop dials (uplink side) is not where the gateway's NAT leaves (wan side)
    rc, checks = verify(tmp_path, "-e", "wireguard_exit_probe_address=", *LAPTOP_ONLY)
    assert rc != 0, checks
    assert checks[LAPTOP].startswith(HEAD + "%s saw %s, expected %s (" % (URL, GATEWAY_WAN, GATEWAY_ENDPOINT)), checks
