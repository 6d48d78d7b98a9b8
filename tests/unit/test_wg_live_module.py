# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wg_live's comparison of the configured peers with the live ones: a drift report names the peer."""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.modules.wg_live import (
    _keepalive_toggle,
    _peer_differences,
    _pinned_port,
    _replaced_endpoints,
    _sessions_reset,
)

from conftest import fake_key

WANT = {"psk": None, "allowed": ["10.8.0.2/32"], "keepalive": 0, "endpoint": None, "endpoint_name": False}
HAVE = {"psk": None, "allowed": ["10.8.0.2/32"], "keepalive": 0, "endpoint": None}


def test_a_peer_removed_by_hand_is_named_by_its_host():
    wanted = {fake_key("laptop"): WANT, fake_key("pi"): WANT}
    live = {fake_key("pi"): HAVE, fake_key("stranger"): HAVE}
    names = {fake_key("laptop"): "laptop", fake_key("pi"): "pi"}
    assert _peer_differences(wanted, live, names) == [
        "peer laptop missing", "peer %s... not in the configuration" % fake_key("stranger")[:8]]


def test_equal_peers_give_no_reason_and_unknown_names_fall_back_to_the_key():
    assert _peer_differences({fake_key("pi"): WANT}, {fake_key("pi"): HAVE}) == []
    assert _peer_differences({fake_key("pi"): WANT}, {}, {fake_key("pi"): "bad\nname"}) == [
        "peer %s... missing" % fake_key("pi")[:8]]


def test_sessions_reset_by_a_new_key_a_new_peer_or_a_new_preshared_key():
    wanted = {fake_key("laptop"): dict(WANT, psk=fake_key("new psk")), fake_key("pi"): WANT, fake_key("new"): WANT}
    live = {fake_key("laptop"): dict(HAVE, psk=fake_key("old psk")), fake_key("pi"): HAVE}
    assert _sessions_reset(False, wanted, live) == sorted([fake_key("laptop"), fake_key("new")])
    assert _sessions_reset(True, wanted, live) == sorted(wanted)
    assert _sessions_reset(False, {fake_key("pi"): WANT}, {fake_key("pi"): HAVE}) == []


def test_the_keepalive_toggle_goes_from_off_to_on_and_back_to_the_configured_value():
    wanted = {fake_key("hub"): dict(WANT, keepalive=25), fake_key("pi"): WANT, fake_key("one"): dict(WANT, keepalive=1)}
    assert _keepalive_toggle([fake_key("hub"), fake_key("pi"), fake_key("one")], wanted) == [
        "peer", fake_key("hub"), "persistent-keepalive", "off", "peer", fake_key("hub"), "persistent-keepalive", "1",
        "peer", fake_key("hub"), "persistent-keepalive", "25",
        "peer", fake_key("pi"), "persistent-keepalive", "off", "peer", fake_key("pi"), "persistent-keepalive", "1",
        "peer", fake_key("pi"), "persistent-keepalive", "off",
        "peer", fake_key("one"), "persistent-keepalive", "off", "peer", fake_key("one"), "persistent-keepalive", "1"]


def test_a_rotated_client_keeps_the_endpoint_it_roamed_to():
    live = {fake_key("old laptop"): dict(HAVE, endpoint="198.18.76.11:4242"), fake_key("pi"): dict(HAVE, allowed=["10.8.0.3/32"])}
    wanted = {fake_key("new laptop"): WANT, fake_key("pi"): dict(WANT, allowed=["10.8.0.3/32"]),
              fake_key("new"): dict(WANT, allowed=["10.8.0.9/32"])}
    endpoints = _replaced_endpoints(wanted, live)
    assert endpoints == {fake_key("new laptop"): "198.18.76.11:4242"}
    assert _keepalive_toggle([fake_key("new laptop")], wanted, endpoints)[:4] == [
        "peer", fake_key("new laptop"), "endpoint", "198.18.76.11:4242"]
    # a configured endpoint wins
    assert _replaced_endpoints({fake_key("new laptop"): dict(WANT, endpoint="198.18.76.1:51820")}, live) == {}


def test_syncconf_keeps_the_running_listen_port_when_the_config_sets_none():
    text = "[Interface]\nPrivateKey = x\n\n[Peer]\nPublicKey = y\n"
    assert _pinned_port(text, {}, "41443") == "[Interface]\nListenPort = 41443\nPrivateKey = x\n\n[Peer]\nPublicKey = y\n"
    assert _pinned_port(text, {"listenport": ["51820"]}, "41443") == text
    assert _pinned_port(text, {}, "0") == text
