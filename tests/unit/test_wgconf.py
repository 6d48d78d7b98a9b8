# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/wgconf.py on configs the engine renders: secrets masked in diffs, and what a change
means for wg_live (peers only: `wg syncconf`; interface settings; restart of wg-quick)."""

from __future__ import annotations

import pytest

from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import changes, mask, parse, problems
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render

PSK_ID = "wg0/laptop--vps"


def network(**extra):
    spec = {"ipv4": "10.8.0.0/24", "port": 51820, "preshared_keys": True}
    spec.update(extra)
    return {"wg0": spec}


@pytest.fixture
def config(build, hub, client, wg_key):
    """config(host, networks=None, private_key=..., **client_vars) -> the wg-quick text of host's wg0."""
    def make(host, networks=None, private_key=None, extra_client=False, **laptop_vars):
        hosts = {
            "vps": hub(endpoint="vps.example.com", public_key=wg_key("vps"), address="10.8.0.1", nat=True),
            "laptop": client(public_key=wg_key("laptop"), address="10.8.0.2", **laptop_vars),
        }
        if extra_client:
            hosts["tablet"] = client(public_key=wg_key("tablet"), address="10.8.0.3")
        fleet = build(networks or network(), hosts)
        entry = fleet["hosts"][host]["interfaces"]["wg0"]
        return render(host, "wg0", entry, private_key or wg_key("private of " + host), {PSK_ID: wg_key("psk")})
    return make


# Masking


def test_mask_hides_private_and_preshared_keys_and_nothing_else(config, wg_key):
    text = config("vps")
    masked = mask(text)
    assert wg_key("private of vps") in text and wg_key("psk") in text
    assert wg_key("private of vps") not in masked
    assert wg_key("psk") not in masked
    assert "PrivateKey = <hidden>" in masked.splitlines()
    assert "PresharedKey = <hidden>" in masked.splitlines()
    # Public keys and everything else stay readable, line for line.
    assert "PublicKey = %s" % wg_key("laptop") in masked.splitlines()
    assert len(masked.splitlines()) == len(text.splitlines())
    assert [line for line in masked.splitlines() if "<hidden>" not in line] == \
        [line for line in text.splitlines() if "PrivateKey =" not in line and "PresharedKey =" not in line]
    assert masked.endswith("\n")


@pytest.mark.parametrize("line, expected", [
    ("privatekey=SECRET", "privatekey = <hidden>"),
    ("  PresharedKey   =   SECRET  ", "PresharedKey = <hidden>"),
    ("PrivateKey = SECRET # old key", "PrivateKey = <hidden>"),
    ("PublicKey = NOTSECRET", "PublicKey = NOTSECRET"),
])
def test_mask_whatever_the_spelling(line, expected):
    assert mask("[Interface]\n%s\n" % line) == "[Interface]\n%s\n" % expected


def test_mask_of_nothing():
    assert mask(None) == ""
    assert mask("") == ""
    assert mask("[Interface]") == "[Interface]"  # no newline is added


# What changed


def test_same_config_changes_nothing(config):
    assert changes(config("vps"), config("vps")) == ([], False, [])


def test_a_new_client_changes_only_the_hubs_peers(config):
    settings, peers_changed, reasons = changes(config("vps"), config("vps", extra_client=True))
    assert settings == []
    assert peers_changed is True
    assert reasons == []


def test_a_peer_setting_is_a_peer_change(config):
    # The laptop's keepalive shows up in the hub's [Peer] section only.
    before, after = config("laptop"), config("laptop", networks=network(keepalive=40))
    assert changes(before, after) == ([], True, [])


def test_a_new_listen_port_is_an_interface_change_applied_live(config):
    settings, peers_changed, reasons = changes(config("vps"), config("vps", networks=network(port=51821)))
    assert settings == ["ListenPort"]
    assert peers_changed is False
    assert reasons == []  # wg syncconf applies a port without restarting


def test_a_new_private_key_is_an_interface_change_applied_live(config, wg_key):
    settings, peers_changed, reasons = changes(config("vps"), config("vps", private_key=wg_key("rotated")))
    assert (settings, peers_changed, reasons) == (["PrivateKey"], False, [])


def test_dns_needs_a_restart(config):
    settings, peers_changed, reasons = changes(config("laptop"), config("laptop", networks=network(dns=["10.8.0.1"])))
    assert settings == ["DNS"]
    assert peers_changed is False
    assert reasons == ["DNS"]


def test_mtu_back_to_automatic_needs_a_restart_but_a_new_mtu_does_not(config):
    plain, small = config("vps"), config("vps", networks=network(mtu=1380))
    assert changes(plain, small) == (["MTU"], False, [])
    assert changes(small, plain) == (["MTU"], False, ["MTU back to automatic"])


def test_full_tunnel_appearing_or_going_needs_a_restart(config):
    split, full = config("laptop"), config("laptop", full_tunnel=True)
    assert "0.0.0.0/0" in full and "0.0.0.0/0" not in split
    for old, new in ((split, full), (full, split)):
        settings, peers_changed, reasons = changes(old, new)
        assert settings == []
        assert peers_changed is True
        assert reasons == ["default route (full tunnel)"]


def test_hooks_and_several_settings_at_once():
    old = "[Interface]\nAddress = 10.8.0.1/24\nListenPort = 51820\n"
    new = "[Interface]\nAddress = 10.8.0.5/24\nListenPort = 51820\nPostUp = iptables -A FORWARD -j ACCEPT\nTable = off\n"
    assert changes(old, new) == (["Address", "PostUp", "Table"], False, ["Table", "PostUp"])


def test_parse_reads_sections_case_insensitively_and_drops_comments():
    interface, peers = parse("[interface]\nADDRESS = 10.0.0.1/24 # me\n\n[Peer]\n# laptop\nPublicKey = A\n"
                             "AllowedIPs = 10.0.0.2/32\n[Peer]\nPublicKey = B\n[Other]\nPublicKey = C\n")
    assert interface == {"address": ["10.0.0.1/24"]}
    assert peers == [{"publickey": ["A"], "allowedips": ["10.0.0.2/32"]}, {"publickey": ["B"]}]


GOOD_KEY = "YH4zY3lQdHV4Z3N5c3Rlc3Rrb3NlY3JldGtleTEyMzQ="


def _config(interface_extra="", peer_extra="", key=GOOD_KEY):
    return ("[Interface]\nPrivateKey = %s\nAddress = 10.8.0.2/24\nListenPort = 51820\n%s\n"
            "[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.0/24, fd00::/64\nEndpoint = vpn.example.com:51820\n%s"
            % (key, interface_extra, GOOD_KEY, peer_extra))


def test_problems_accepts_a_working_config():
    assert problems(_config()) == []


@pytest.mark.parametrize("text, fragment", [
    ("", "no [Interface] section"),
    (_config(key="not-a-key"), "PrivateKey"),
    (_config(interface_extra="Adress = 10.8.0.3/24"), "unknown setting 'adress'"),
    (_config(interface_extra="ListenPort = 70000"), "not a port"),
    (_config(peer_extra="AllowedIPs = 10.8.0.300/32"), "not an address or CIDR"),
    (_config(peer_extra="Endpoint = vpn.example.com"), "has no valid port"),
    (_config(peer_extra="Endpoint = vpn.example.com:99999"), "has no valid port"),
    (_config(peer_extra="PersistentKeepalive = 70000"), "PersistentKeepalive"),
    (_config(peer_extra="PresharedKey = short"), "PresharedKey"),
    (_config().replace("PublicKey = %s" % GOOD_KEY, "PublicKey = <public key of x: unknown>"), "PublicKey"),
])
def test_problems_names_what_breaks_a_config(text, fragment):
    assert any(fragment in problem for problem in problems(text)), problems(text)


def test_problems_read_after_the_file_name():
    # wg_config says "the new wg0.conf <problem>; the current file is kept"
    text = _config(interface_extra="PostUp = touch /tmp/x\nTable = off")
    assert problems(text)[:2] == ["carries PostUp, which wirefleet never writes",
                                  "carries Table, which wirefleet never writes"]


def test_problems_refuse_a_non_canonical_key():
    # GOOD_KEY ends in 'Q=': 'R=' decodes to the same 32 bytes, and wg refuses it
    other = GOOD_KEY[:-2] + "R="
    assert any("PrivateKey" in problem for problem in problems(_config(key=other)))


def test_problems_without_a_private_key_only_when_allowed():
    text = _config().replace("PrivateKey = %s\n" % GOOD_KEY, "# PrivateKey: not made yet\n")
    assert problems(text, require_private_key=False) == []
    assert problems(text) == ["needs exactly one valid PrivateKey in [Interface]"]
