"""playbooks/verify.yml on the converged demo fleet: every managed host has a recent handshake with each
expected peer; the phone (unmanaged) is named but not required. A peer whose tunnel is cut makes it fail."""

import json
import os
import subprocess
import sys

import testinfra

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
VERIFY = os.path.join(PROJECT, "playbooks", "verify.yml")
CHECK = "Check that every expected peer has a recent handshake"


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
    rc, checks = _verify(tmp_path)
    assert rc == 0, checks
    assert sorted(checks) == ["wf-demo-gateway", "wf-demo-hub", "wf-demo-laptop"]
    assert "not checked (unmanaged): wf-demo-phone" in checks["wf-demo-hub"]["msg"]


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
