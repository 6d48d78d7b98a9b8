"""Endpoints that move: the laptop knows the router by name (home.wirefleet.test, its /etc/hosts standing in for
dynamic DNS). The router's address changes; without any converge the laptop's re-resolve timer finds it again
(roles/wireguard_interface/tasks/reresolve.yml, files/wirefleet-reresolve)."""

import time

import testinfra

PREFIX = "wf-peer_to_site_router-"
ROUTER_VPN = "198.18.49.1"
OLD, NEW = "198.18.44.10", "198.18.44.50"
NAME = "home.wirefleet.test"
TIMER = "wirefleet-reresolve@home0.timer"


def node(name):
    return testinfra.get_host("docker://" + PREFIX + name)


def endpoint(laptop):
    return laptop.check_output("wg show home0 endpoints").split()[1]


def point_name_at(laptop, address):
    # in place: docker bind-mounts /etc/hosts
    laptop.run_expect([0], "sed '/ %s$/d' /etc/hosts > /tmp/hosts && echo '%s %s' >> /tmp/hosts && "
                      "cat /tmp/hosts > /etc/hosts" % (NAME, address, NAME))


def test_only_the_host_with_a_named_endpoint_has_a_timer():
    laptop, router = node("laptop"), node("router")
    assert laptop.service(TIMER).is_enabled and laptop.service(TIMER).is_running
    assert laptop.run("systemd-analyze verify /etc/systemd/system/wirefleet-reresolve@.service").rc == 0
    wants = router.run("ls /etc/systemd/system/timers.target.wants/").stdout
    assert "wirefleet-reresolve" not in wants
    assert not router.file("/usr/local/libexec/wirefleet-reresolve").exists


def test_the_tunnel_comes_back_when_the_router_moves_without_a_converge():
    laptop, router = node("laptop"), node("router")
    uplink = router.check_output("ip -4 -o addr show to %s/24" % OLD).split()[1]
    assert endpoint(laptop) == "%s:51000" % OLD
    router.run_expect([0], "ip addr add %s/24 dev %s" % (NEW, uplink))
    # The old address stops answering WireGuard: the router "moved" (its other traffic still flows).
    router.run_expect([0], "nft add table inet movetest && nft add chain inet movetest input "
                      "'{ type filter hook input priority -10; }' && "
                      "nft add rule inet movetest input ip daddr %s udp dport 51000 drop" % OLD)
    try:
        point_name_at(laptop, NEW)
        start = time.monotonic()
        while time.monotonic() - start < 120:
            laptop.run("ping -c 1 -W 1 %s" % ROUTER_VPN)
            if endpoint(laptop) == "%s:51000" % NEW and laptop.run("ping -c 1 -W 2 %s" % ROUTER_VPN).rc == 0:
                break
            time.sleep(2)
        took = time.monotonic() - start
        print("endpoint moved %s -> %s: tunnel back after %.0f s, no converge" % (OLD, NEW, took))
        journal = laptop.run("journalctl -u wirefleet-reresolve@home0 --no-pager").stdout
        assert endpoint(laptop) == "%s:51000" % NEW, journal
        laptop.run_expect([0], "ping -c 2 -W 2 %s" % ROUTER_VPN)
        journal = laptop.check_output("journalctl -u wirefleet-reresolve@home0 --no-pager")
        assert "now resolves to %s" % NEW in journal and "endpoint set again" in journal, journal
    finally:
        router.run("nft delete table inet movetest")
        point_name_at(laptop, OLD)
    # and back to the old address, so the other tests see the converged state
    start = time.monotonic()
    while endpoint(laptop) != "%s:51000" % OLD and time.monotonic() - start < 120:
        router.run("ip addr del %s/24 dev %s" % (NEW, uplink))
        laptop.run("ping -c 1 -W 1 %s" % ROUTER_VPN)
        time.sleep(2)
    laptop.run_expect([0], "ping -c 2 -W 2 %s" % ROUTER_VPN)
    assert endpoint(laptop) == "%s:51000" % OLD
