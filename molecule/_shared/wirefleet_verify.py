"""Checks shared by the scenarios' testinfra tests (on the verifier's PYTHONPATH via _shared/base.yml).

Each check looks at the real thing: `wg show` handshakes, kernel routes, packets, file modes.
"""

from __future__ import annotations

import os
import re
import shlex
import time

import pytest
import testinfra

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
STORE = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "wirefleet-store")
HANDSHAKE_MAX_AGE = 180


def host(name):
    return testinfra.get_host("ansible://%s" % name, ansible_inventory=INVENTORY)


def tunnel_address(node, interface, family=4):
    """The host's own address on a WireGuard interface (first one of the family)."""
    out = node.check_output("ip -%s -o addr show dev %s" % (family, interface))
    return out.split()[3].split("/")[0]


def wait_for_handshakes(node, interface, expected, timeout=40):
    """Every one of `expected` peers has a handshake younger than HANDSHAKE_MAX_AGE."""
    deadline = time.monotonic() + timeout
    while True:
        out = node.check_output("wg show %s latest-handshakes", interface)
        stamps = [int(line.split()[1]) for line in out.splitlines() if line.strip()]
        now = int(node.check_output("date +%s"))
        fresh = [s for s in stamps if s and now - s < HANDSHAKE_MAX_AGE]
        if len(stamps) == expected and len(fresh) == expected:
            return
        if time.monotonic() > deadline:
            pytest.fail("%s/%s: %d of %d peers have a recent handshake:\n%s"
                        % (node.backend.get_hostname(), interface, len(fresh), expected, out))
        time.sleep(1)


def assert_private_files(node, interface):
    """Config and key: root-owned 0600 in a 0700 directory; the config holds a real key and parses."""
    for path in ("/etc/wireguard/%s.conf" % interface, "/etc/wireguard/%s.key" % interface):
        item = node.file(path)
        assert item.user == "root" and item.mode == 0o600, "%s: %o" % (path, item.mode)
    assert node.file("/etc/wireguard").mode == 0o700
    config = node.file("/etc/wireguard/%s.conf" % interface).content_string
    assert re.search(r"^PrivateKey = \S{44}$", config, re.M)
    node.run_expect([0], "wg-quick strip %s", interface)


def assert_service_up(node, interface):
    service = node.service("wg-quick@%s" % interface)
    assert service.is_enabled and service.is_running


def allowed_ips(node, interface):
    """{peer public key: [AllowedIPs]} as the kernel (or wireguard-go) has them."""
    result = {}
    for line in node.check_output("wg show %s allowed-ips", interface).splitlines():
        key, *nets = line.split()
        result[key] = sorted(n for n in nets if n != "(none)")
    return result


def public_key(node, interface):
    return node.check_output("wg show %s public-key", interface)


def start_capture(node, interface, expression, tag, count=1, timeout=20):
    """tcpdump in the background on `node`; returns once it listens. Read it with read_capture."""
    base = "/tmp/wf-capture-%s" % tag
    node.run("rm -f %s.out %s.err" % (base, base))
    node.run_expect([0], "nohup timeout %d tcpdump -l -n -i %s -c %d %s > %s.out 2> %s.err < /dev/null &"
                    % (timeout, interface, count, shlex.quote(expression), base, base))
    deadline = time.monotonic() + 10
    while "listening on" not in node.run("cat %s.err" % base).stdout:
        assert time.monotonic() < deadline, "tcpdump on %s did not start" % interface
        time.sleep(0.2)
    return base


def read_capture(node, base, count=1, wait=6.0):
    """tcpdump's lines (source and destination as seen on that interface), once `count` arrived or after `wait`."""
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in node.run("cat %s.out" % base).stdout.splitlines() if line.strip()]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.3)


def capture(node, interface, expression, command_node, command, count=1, timeout=10):
    """Run `command` on command_node while tcpdump on `node` waits for `count` packets matching `expression`."""
    base = start_capture(node, interface, expression, "capture", count=count, timeout=timeout)
    command_node.run(command)
    return read_capture(node, base, count=count, wait=timeout)
