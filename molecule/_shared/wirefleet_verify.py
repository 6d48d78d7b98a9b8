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


# TCP and UDP probes: a ping-only check passes on a hub whose firewall accepts ICMP echo in FORWARD but drops
# everything else (ufw's stock before.rules do exactly that). The listener is a few lines of python3 (in every
# image); it writes "ready" once bound and the token and the sender's address once a probe arrived.
PROBE_LISTENER = r"""
import socket, sys
proto, port, out, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
sock = socket.socket(socket.AF_INET6, kind)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("::", port))
sock.settimeout(wait)
if proto == "tcp":
    sock.listen(1)
open(out, "w").write("ready\n")
try:
    if proto == "tcp":
        conn, peer = sock.accept()
        conn.settimeout(wait)
        data = conn.recv(64)
        conn.sendall(b"ack " + data)
        conn.close()
    else:
        data, peer = sock.recvfrom(64)
    open(out, "a").write("%s %s\n" % (data.decode(), peer[0]))
except socket.timeout:
    open(out, "a").write("timeout\n")
"""

PROBE_SENDER = r"""
import socket, sys
proto, address, port, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
family = socket.AF_INET6 if ":" in address else socket.AF_INET
sock = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
sock.settimeout(4)
try:
    if proto == "tcp":
        sock.connect((address, port))
        sock.sendall(token)
        print(sock.recv(64).decode())
    else:
        for _ in range(3):
            sock.sendto(token, (address, port))
        print("sent")
except OSError as exc:
    print("error %s" % exc)
    sys.exit(1)
"""

_probe_count = [0]


def probe(src, dst, address, proto, port=None, wait=8):
    """(reached, source address seen by dst): a TCP connection or UDP datagram from src to address, where dst
    listens (address is one of dst's, or reaches dst through NAT or a port forward). reached is False on a timeout,
    a refused connection or a datagram that never arrived."""
    _probe_count[0] += 1
    port = port or 31000 + (os.getpid() + _probe_count[0]) % 2000
    token = "wf-probe-%d-%d" % (os.getpid(), _probe_count[0])
    out = "/tmp/wf-probe-%s-%d" % (proto, port)
    dst.run("rm -f %s" % out)
    dst.run_expect([0], "nohup timeout %d python3 -c %s %s %d %s %d > /dev/null 2>&1 < /dev/null &"
                   % (wait + 4, shlex.quote(PROBE_LISTENER), proto, port, out, wait))
    deadline = time.monotonic() + 10
    while "ready" not in dst.run("cat %s" % out).stdout:
        assert time.monotonic() < deadline, "the %s probe listener on %s did not start" % (proto, dst.backend.get_hostname())
        time.sleep(0.2)
    sent = src.run("python3 -c %s %s %s %d %s" % (shlex.quote(PROBE_SENDER), proto, shlex.quote(address), port, token))
    deadline = time.monotonic() + (wait if sent.rc == 0 else 0)
    while True:
        lines = dst.run("cat %s" % out).stdout.splitlines()
        arrived = [line.split() for line in lines if line.startswith(token)]
        if arrived or "timeout" in lines or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # "[w]f-probe" matches the listener's command line, never the shell that runs pkill
    dst.run("pkill -f %s" % shlex.quote("[w]" + out[6:]))
    if not arrived:
        return False, None
    reached = sent.rc == 0 and (proto == "udp" or sent.stdout.strip() == "ack " + token)
    return reached, arrived[0][1].replace("::ffff:", "")


def tcp_reaches(src, dst, address, port=None):
    return probe(src, dst, address, "tcp", port)[0]


def udp_reaches(src, dst, address, port=None):
    return probe(src, dst, address, "udp", port)[0]


def assert_tcp_and_udp_reach(src, dst, address):
    """TCP and UDP from src arrive at dst through address (besides ping, which firewalls treat differently)."""
    for proto in ("tcp", "udp"):
        reached = probe(src, dst, address, proto)[0]
        assert reached, "%s from %s to %s (%s) did not arrive" % (
            proto.upper(), src.backend.get_hostname(), address, dst.backend.get_hostname())
