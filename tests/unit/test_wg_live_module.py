# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wg_live's comparison of the configured peers with the live ones: a drift report names the peer."""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.modules.wg_live import _peer_differences

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
