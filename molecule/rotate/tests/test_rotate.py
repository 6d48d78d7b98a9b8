"""Key rotation on real tunnels (molecule/rotate/molecule.yml, playbooks/rotate.yml, docs/operations.md).

The tests run in file order and build on each other: the converged fleet, a rotation of the hub under
continuous pings (the outage per pair is measured and printed, not asserted), a client's and the phone's
rotation, a rotation interrupted by --limit and completed by the next rotate.yml, one killed right after the
hub's switch, one completed by site.yml, and a last converge that changes nothing.
"""

import os
import time

import wirefleet_verify as wv
from rotate_fleet import (CLIENTS, HUB, IF, PHONE, Pinger, changed, key_file_digest, kill, live_psks, load_phone,
                          message, pair_problems, rotate, site, start_rotate, store_path, store_psk, store_text,
                          wait_for_fresh_handshakes)


def _peer_keys(host):
    return set(host.check_output("wg show %s peers", IF).split())


def test_the_fleet_is_up_with_a_preshared_key_per_pair(hub, clients, phone):
    load_phone(phone)
    assert wait_for_fresh_handshakes(hub, clients + [phone], 0) == []
    assert pair_problems(hub, clients, phone) == []
    assert sorted(os.listdir(store_path("psk", "wg0"))) == [
        "wf-rot-alpha--wf-rot-hub.psk", "wf-rot-beta--wf-rot-hub.psk", "wf-rot-hub--wf-rot-phone.psk"]


def test_rotating_the_hub_updates_every_peer_in_the_same_run(tmp_path, hub, alpha, beta, phone):
    clients = [alpha, beta]
    load_phone(phone)  # the config of the fleet as it is now
    old_key, old_digest = wv.public_key(hub, IF), key_file_digest(hub)
    old_psks = {name: store_psk(HUB, name) for name in CLIENTS + [PHONE]}
    pings = Pinger(clients)
    started = int(time.time())
    report = rotate(tmp_path, HUB)
    outages = pings.stop()
    pairs = ", ".join("%s <-> hub %.2f s (%d replies)" % (name, *outage) for name, outage in sorted(outages.items()))
    print("\nrotate.yml for the hub: %.1f s; outage per pair (longest time without a ping reply, 0.2 s interval): %s"
          % (report["seconds"], pairs))

    new_key = wv.public_key(hub, IF)
    assert new_key != old_key and key_file_digest(hub) != old_digest
    assert not hub.file("/etc/wireguard/wg0.key.next").exists
    assert store_text("public", HUB, "wg0.pub") == new_key
    for client in clients:
        assert _peer_keys(client) == {new_key}
    assert wait_for_fresh_handshakes(hub, clients, started) == []
    # the old key is gone from every peer, the phone's config in the store included
    phone_config = store_text("devices", PHONE, "wg0.conf")
    for client in clients:
        assert old_key not in client.check_output("wg showconf %s", IF)
        assert old_key not in client.file("/etc/wireguard/wg0.conf").content_string
    assert old_key not in phone_config and "PublicKey = %s" % new_key in phone_config
    # preshared keys of every pair with the hub changed, and both ends (and the store) agree
    for name in CLIENTS + [PHONE]:
        assert store_psk(HUB, name) != old_psks[name], name
    assert "PresharedKey = %s" % store_psk(HUB, PHONE) in phone_config
    assert pair_problems(hub, clients) == []
    assert not os.path.exists(store_path("previous", HUB))  # every peer has the new key: nothing left to complete
    lines = message(report, "Summarise the rotation")
    assert "finished: %s/wg0" % HUB in lines
    assert any(line.startswith("%s: %s's wg0 key changed: load its new config" % (PHONE, HUB)) for line in lines), lines
    # the phone, once it loads its new config (as after scanning the new QR code), has a tunnel with the new key
    assert phone.check_output("wg show %s peers", IF) == old_key
    load_phone(phone)
    assert wait_for_fresh_handshakes(hub, [phone], started) == []
    assert pair_problems(hub, clients, phone) == []


def test_rotating_a_client_keeps_its_pair_up(tmp_path, hub, alpha, beta, phone):
    old_key = wv.public_key(alpha, IF)
    pings = Pinger([alpha, beta])
    started = int(time.time())
    report = rotate(tmp_path, "wf-rot-alpha")
    outages = pings.stop()
    print("\nrotate.yml for a client: outage alpha <-> hub %.2f s, beta <-> hub %.2f s (not rotated)"
          % (outages["wf-rot-alpha"][0], outages["wf-rot-beta"][0]))
    assert wv.public_key(alpha, IF) != old_key and old_key not in _peer_keys(hub)
    assert wait_for_fresh_handshakes(hub, [alpha], started) == []
    assert pair_problems(hub, [alpha, beta], phone) == []
    assert report["rc"] == 0


def test_rotating_the_phone_gives_it_a_new_key_config_and_qr_code(tmp_path, hub, alpha, beta, phone):
    old_private = store_text("private", PHONE, "wg0.key")
    old_public = store_text("public", PHONE, "wg0.pub")
    old_psk = store_psk(HUB, PHONE)
    with open(store_path("devices", PHONE, "wg0.png"), "rb") as handle:
        old_png = handle.read()
    report = rotate(tmp_path, PHONE)
    new_public = store_text("public", PHONE, "wg0.pub")
    assert store_text("private", PHONE, "wg0.key") != old_private and new_public != old_public
    assert store_psk(HUB, PHONE) != old_psk
    assert _peer_keys(hub) == {wv.public_key(alpha, IF), wv.public_key(beta, IF), new_public}
    config = store_text("devices", PHONE, "wg0.conf")
    assert "PrivateKey = %s" % store_text("private", PHONE, "wg0.key") in config
    assert "PresharedKey = %s" % store_psk(HUB, PHONE) in config
    with open(store_path("devices", PHONE, "wg0.png"), "rb") as handle:
        assert handle.read() != old_png
    lines = message(report, "Summarise the rotation")
    assert "%s: has a new wg0 key: load its new config on the device, devices/%s/wg0.conf (or its QR code)" % (
        PHONE, PHONE) in lines, lines
    started = int(time.time())
    load_phone(phone)
    assert wait_for_fresh_handshakes(hub, [phone], started) == []
    assert pair_problems(hub, [alpha, beta], phone) == []


def test_an_interrupted_rotation_is_completed_by_the_next_run(tmp_path, hub, alpha, beta, phone):
    clients = [alpha, beta]
    old_key = wv.public_key(hub, IF)
    rotate(tmp_path, HUB, "--limit", HUB)
    switched = wv.public_key(hub, IF)
    assert switched != old_key
    # the hub runs its new key, no client has it: the check below sees every pair broken
    for client in clients:
        assert _peer_keys(client) == {old_key}
    problems = pair_problems(hub, clients)
    assert len(problems) == 2 * len(clients), problems  # each client: the old key and the old preshared key
    assert store_text("previous", HUB, "wg0.pub") == old_key  # the store keeps it until all peers are updated

    started = int(time.time())
    report = rotate(tmp_path, HUB)
    assert any("completing the rotation" in line for line in message(report, "Say which rotations are completed rather than begun"))
    assert wv.public_key(hub, IF) == switched  # completed with the key the interrupted run made, not rotated again
    assert wait_for_fresh_handshakes(hub, clients, started) == []
    assert pair_problems(hub, clients) == []
    assert not os.path.exists(store_path("previous", HUB))
    load_phone(phone)
    assert pair_problems(hub, clients, phone) == []


def test_a_run_killed_after_the_hub_switched_is_completed_by_the_next_run(tmp_path, hub, alpha, beta, phone):
    """SIGKILL as soon as the hub's key file holds its next key (wg_key switch), before the store recorded the new
    public key and before any interface applied it."""
    clients = [alpha, beta]
    old_key, old_digest = wv.public_key(hub, IF), key_file_digest(hub)
    proc = start_rotate(tmp_path, HUB)
    deadline = time.monotonic() + 120
    while key_file_digest(hub) == old_digest:
        assert proc.poll() is None and time.monotonic() < deadline, "rotate.yml ended before the hub switched"
        time.sleep(0.05)
    kill(proc)
    running = wv.public_key(hub, IF)
    print("\nkilled rotate.yml right after the hub's key file switched: the hub runs its %s key, the store records "
          "its %s key, the clients run its %s key" % (
              "old" if running == old_key else "new",
              "old" if store_text("public", HUB, "wg0.pub") == old_key else "new",
              ", ".join(sorted("old" if _peer_keys(c) == {old_key} else "new" for c in clients))))
    assert store_text("previous", HUB, "wg0.pub") == old_key
    started = int(time.time())
    report = rotate(tmp_path, HUB)
    assert any("completing the rotation" in line for line in message(report, "Say which rotations are completed rather than begun"))
    assert wv.public_key(hub, IF) != old_key
    assert wait_for_fresh_handshakes(hub, clients, started) == []
    assert pair_problems(hub, clients) == []
    assert not os.path.exists(store_path("previous", HUB))
    load_phone(phone)
    assert pair_problems(hub, clients, phone) == []


def test_site_completes_an_interrupted_rotation(tmp_path, hub, alpha, beta, phone):
    clients = [alpha, beta]
    rotate(tmp_path, HUB, "--limit", HUB)
    assert pair_problems(hub, clients) != []
    started = int(time.time())
    site(tmp_path)
    assert wait_for_fresh_handshakes(hub, clients, started) == []
    assert pair_problems(hub, clients) == []
    assert not os.path.exists(store_path("previous", HUB))  # site.yml forgot it: the next rotate.yml rotates anew
    load_phone(phone)
    assert pair_problems(hub, clients, phone) == []


def test_a_converge_after_the_rotations_changes_nothing(tmp_path, hub, alpha, beta):
    report = site(tmp_path)
    assert changed(report) == {name: 0 for name in report["stats"]}, report["output"]
    assert not hub.file("/etc/wireguard/wg0.key.next").exists
    assert live_psks(alpha) and live_psks(beta)
