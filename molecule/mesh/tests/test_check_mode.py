"""Plan mode before the first converge: what prepare.yml's `site.yml --check --diff` run printed and left behind.

prepare.yml runs it against this scenario's inventory while the containers are fresh (no WireGuard package, no
key, no lease) and saves the output, the exit code and what was on the hosts afterwards in the ephemeral dir.
"""

import json
import os
import re

import pytest

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
SERVERS = ["wf-mesh-vpn", "wf-mesh-root", "wf-mesh-db", "wf-mesh-backup"]
NOTEBOOK = "wf-mesh-notebook"
MANAGED = SERVERS + [NOTEBOOK]
# Who has whom as peer (molecule.yml): the mesh servers each other and the hub, the hub also the road warrior.
PEERS = {name: [other for other in SERVERS if other != name] for name in SERVERS}
PEERS["wf-mesh-vpn"] = PEERS["wf-mesh-vpn"] + [NOTEBOOK]
PEERS[NOTEBOOK] = ["wf-mesh-vpn"]


def read(name):
    path = os.path.join(EPHEMERAL, name)
    if not os.path.exists(path):
        pytest.fail("%s is missing: prepare.yml did not run the check-mode play" % path)
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def log():
    return read("check_mode.log")


def new_configs(log):
    """{host: text} of every wg.conf the diff shows as created ('@@ -0,0 ...': no file before)."""
    configs = {}
    for chunk in log.split("+++ after: /etc/wireguard/wg.conf\n")[1:]:
        lines = chunk.splitlines()
        assert lines[0].startswith("@@ -0,0 "), "the diff changes an existing file:\n" + "\n".join(lines[:5])
        end = next((i for i, line in enumerate(lines[1:]) if not line.startswith("+")), len(lines) - 1)
        added = [line[1:] for line in lines[1:end + 1]]
        host = re.match(r"# (\S+): wg in network 'wg' as \w+\.", added[0]).group(1)
        configs[host] = "\n".join(added)
    return configs


def summary(log):
    """The lines of site.yml's 'Summarise the run' task."""
    # the entry role's task: "TASK [wirefleet.wireguard.wireguard : Summarise the run]"
    block = re.split(r"TASK \[(?:[\w.]+ : )?Summarise the run\]", log, maxsplit=1)[1]
    start = block.index("=> {\n") + 3
    end = block.index("\n}\n", start) + 2
    return json.loads(block[start:end])["msg"]


def test_the_check_run_succeeded_without_red_lines(log):
    rc = read("check_mode.rc").strip()
    assert rc == "0", log[-3000:]
    red = [line for line in log.splitlines() if line.startswith("fatal:") or "...ignoring" in line]
    assert not red, "\n".join(red)
    recap = re.findall(r"^(wf-mesh-\S+)\s+: ok=\d+ .*failed=(\d+) .*ignored=(\d+)", log, re.M)
    # hosts in no network appear too since site.yml is the entry role (its argument check runs for every host)
    assert sorted(host for host, _failed, _ignored in recap if host in MANAGED) == sorted(MANAGED), recap
    assert all(failed == "0" and ignored == "0" for _host, failed, ignored in recap), recap


def test_the_diff_shows_every_managed_hosts_whole_config(log):
    configs = new_configs(log)
    assert sorted(configs) == sorted(MANAGED)
    for text in configs.values():
        assert re.search(r"^\[Interface\]\nAddress = 198\.18\.43\.\d+/24, fd00:4243::[0-9a-f]+/64$", text, re.M), text
        assert "PrivateKey: not made yet" in text, text


# wg_config renders peers without a known key as placeholders in check mode; before that the configs of a fleet
# never converged showed no [Peer] at all.
def test_the_diff_shows_every_peer_with_a_placeholder_key(log):
    for host, text in new_configs(log).items():
        peers = re.findall(r"^# (\S+) \(\w+\)\nPublicKey = <public key of (\S+): unknown until it is converged>$",
                           text, re.M)
        assert text.count("[Peer]") == len(PEERS[host]), text
        assert sorted(name for name, _key_of in peers) == sorted(PEERS[host]), text
        assert all(name == key_of for name, key_of in peers), text


def test_the_summary_names_what_a_real_run_would_install_and_start(log):
    lines = summary(log)
    host_lines = [line for line in lines if re.match(r"wf-mesh-\S+: (would change|changed|unchanged) - ", line)]
    by_host = {line.split(":", 1)[0]: line for line in host_lines}
    assert sorted(by_host) == sorted(MANAGED), lines
    for host in MANAGED:
        assert by_host[host].startswith(host + ": would change - wg (wg): "), lines
        assert "would install and start wg-quick@wg" in by_host[host], lines
    for host in SERVERS:
        assert "firewall nftables" in by_host[host], lines
        assert "would install and start wirefleet-nftables.service" in by_host[host], lines
    provisional = [line for line in lines if line.startswith("Provisional addresses")]
    assert len(provisional) == 1, lines
    assert all(host + " (wg)" in provisional[0] for host in MANAGED), provisional


def test_the_check_run_changed_nothing():
    for host in MANAGED:
        assert read("check_mode_after." + host).strip() == "", host
    assert read("check_mode_store").strip() == ""
