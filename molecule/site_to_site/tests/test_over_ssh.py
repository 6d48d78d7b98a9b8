"""site_to_site is converged over SSH as the unprivileged user 'wirefleet' (molecule.yml, prepare.yml).

The checks look at the hosts through docker exec (as root), and at what Ansible itself does with the inventory."""

import os
import re
import shutil
import subprocess
import sys

import pytest
import testinfra

PREFIX = "wf-site_to_site-"
USER = "wirefleet"
HOSTS = ("alpha", "beta", "hosta", "hostb")
# gateway: (WireGuard interface, the controller's address as the gateway sees it)
GATEWAYS = {"alpha": ("wgA", "198.18.45.1"), "beta": ("wgB", "198.18.45.1")}
SSH_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "ssh")


def node(name):
    return testinfra.get_host("docker://" + PREFIX + name)


def key_fingerprint():
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", os.path.join(SSH_DIR, "id_ed25519.pub")],
                         check=True, capture_output=True, text=True).stdout
    return out.split()[1]


def ansible_ids(*extra):
    """{host: (uid, user name)} from `ansible all -m command -a id` over the scenario's own inventory."""
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    result = subprocess.run([ansible if os.path.exists(ansible) else shutil.which("ansible"), "all", "-i", inventory,
                             "-o", "-m", "ansible.builtin.command", "-a", "id", *extra],
                            capture_output=True, text=True, check=False, timeout=120,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    assert result.returncode == 0, result.stdout + result.stderr
    ids = {}
    for line in result.stdout.splitlines():
        match = re.search(r"^%s(\w+) \| CHANGED \| rc=0 \| \(stdout\) uid=(\d+)\((\w+)\)" % PREFIX, line)
        if match:
            ids[match.group(1)] = (int(match.group(2)), match.group(3))
    assert sorted(ids) == sorted(HOSTS), result.stdout
    return ids


def test_inventory_logs_in_as_the_unprivileged_user():
    for name, (uid, user) in ansible_ids().items():
        assert uid != 0 and user == USER, (name, uid, user)


def test_become_makes_root_through_sudo():
    for name, (uid, user) in ansible_ids("--become").items():
        assert (uid, user) == (0, "root"), name


@pytest.mark.parametrize("name", sorted(GATEWAYS))
def test_converge_came_over_ssh_and_sudo(name):
    """Before wg-quick first started the tunnel, sshd let in our key for 'wirefleet' and sudo made it root.

    prepare.yml reaches the gateways over SSH without become and otherwise through docker exec, which leaves no
    log: the sudo lines before the tunnel came up are the converge's."""
    interface, controller = GATEWAYS[name]
    journal = node(name).check_output("journalctl --no-pager -o short-iso").splitlines()
    start = next((i for i, line in enumerate(journal) if "wg-quick@%s" % interface in line), None)
    assert start is not None, "wg-quick@%s never appears in the journal" % interface
    before = journal[:start]
    logins = [line for line in before if "Accepted " in line]
    ours = "Accepted publickey for %s from %s port " % (USER, controller)
    assert logins and all(ours in line for line in logins), logins
    assert all(line.endswith(" ssh2: ED25519 %s" % key_fingerprint()) for line in logins), logins
    sudo = [line for line in before if re.search(r" sudo\[\d+\]: +%s : .*USER=root ; COMMAND=.*BECOME-SUCCESS-" % USER, line)]
    assert sudo, "no sudo by %s before the tunnel came up" % USER


@pytest.mark.parametrize("name", sorted(GATEWAYS))
def test_become_wrote_every_file_as_root(name):
    """Configs and keys are root's 0600 (assert_private_files checks the owner), and the login user owns
    nothing outside its home."""
    host = node(name)
    interface = GATEWAYS[name][0]
    for path in ("/etc/wireguard", "/etc/wireguard/%s.conf" % interface, "/etc/wireguard/%s.key" % interface):
        item = host.file(path)
        assert (item.user, item.group) == ("root", "root"), path
    assert host.file("/etc/wireguard/%s.conf" % interface).mode == 0o600
    owned = host.check_output("find / /run /tmp -xdev -path /home/%s -prune -o -user %s -print", USER, USER)
    assert owned == "", owned


@pytest.mark.parametrize("name", HOSTS)
def test_sshd_is_locked_down(name):
    """Key authentication only, no root login; sudo for the user comes from a 0440 file visudo accepts."""
    host = node(name)
    config = host.check_output("sshd -T")
    for setting in ("passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin no"):
        assert setting in config.splitlines(), setting
    sudoers = host.file("/etc/sudoers.d/%s" % USER)
    assert (sudoers.user, sudoers.mode) == ("root", 0o440)
    host.run_expect([0], "visudo -c")
