# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wg-quick rendering of a small computed fleet: one hub, a laptop with a known key, a phone without."""

from __future__ import annotations

import pytest

from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render, unknown_key

NETWORKS = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "dns": ["10.8.0.1"], "preshared_keys": True}}


@pytest.fixture
def fleet(build, hub, client, wg_key):
    hosts = {
        "vps": hub(endpoint="vps.example.com", public_key=wg_key("vps"), address="10.8.0.1"),
        "laptop": client(address="10.8.0.2"),
        "phone": client(address="10.8.0.3", managed=False),
    }
    return build(NETWORKS, hosts, {"laptop": {"wg0": wg_key("laptop")}})


def entry(fleet, host):
    return fleet["hosts"][host]["interfaces"]["wg0"]


def sections(text):
    """{'Interface': [lines], '<peer name>': [lines]}, comments kept."""
    result, current = {}, None
    for line in text.splitlines():
        if line == "[Interface]":
            current = result.setdefault("Interface", [])
        elif line == "[Peer]":
            current = None
        elif current is None and line.startswith("# ") and "(" in line:
            current = result.setdefault(line[2:].split(" ")[0], [])
        elif current is not None and line:
            current.append(line)
    return result


def test_hub_config(fleet, wg_key):
    text = render("vps", "wg0", entry(fleet, "vps"))
    parts = sections(text)
    assert text.startswith("# vps: wg0 in network 'wg0' as hub.")
    assert parts["Interface"] == [
        "Address = 10.8.0.1/24",
        "ListenPort = 51820",
        "# PrivateKey: generated on vps and kept there (/etc/wireguard/wg0.key)",
    ]
    assert parts["laptop"] == [
        "PublicKey = %s" % wg_key("laptop"),
        "# PresharedKey: wg0/laptop--vps, kept in the controller store",
        "AllowedIPs = 10.8.0.2/32",
    ]
    # The phone's key is not known yet: a placeholder, not an empty or missing line.
    assert parts["phone"] == [
        "PublicKey = %s" % unknown_key("phone"),
        "# PresharedKey: wg0/phone--vps, kept in the controller store",
        "AllowedIPs = 10.8.0.3/32",
    ]
    assert "Endpoint" not in text and "PersistentKeepalive" not in text and "DNS" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_client_config(fleet, wg_key):
    text = render("laptop", "wg0", entry(fleet, "laptop"))
    parts = sections(text)
    assert parts["Interface"] == [
        "Address = 10.8.0.2/24",
        "DNS = 10.8.0.1",
        "# PrivateKey: generated on laptop and kept there (/etc/wireguard/wg0.key)",
    ]
    assert parts["vps"] == [
        "PublicKey = %s" % wg_key("vps"),
        "# PresharedKey: wg0/laptop--vps, kept in the controller store",
        "Endpoint = vps.example.com:51820",
        "AllowedIPs = 10.8.0.0/24",
        "PersistentKeepalive = 25",
    ]
    assert "ListenPort" not in text


def test_no_private_key_line_unless_given(fleet, wg_key):
    for host in ("vps", "laptop", "phone"):
        text = render(host, "wg0", entry(fleet, host))
        assert "PrivateKey =" not in text
    private = wg_key("phone private")
    text = render("phone", "wg0", entry(fleet, "phone"), private_key=private)
    assert sections(text)["Interface"][-1] == "PrivateKey = %s" % private
    assert text.count("PrivateKey") == 1


def test_preshared_keys_given(fleet, wg_key):
    psk = wg_key("psk laptop--vps")
    text = render("vps", "wg0", entry(fleet, "vps"), preshared_keys={"wg0/laptop--vps": psk})
    parts = sections(text)
    assert "PresharedKey = %s" % psk in parts["laptop"]
    # Only the pair whose key was given gets one; the other keeps the comment.
    assert "# PresharedKey: wg0/phone--vps, kept in the controller store" in parts["phone"]
    assert text.count("PresharedKey =") == 1


def test_no_preshared_key_lines_when_the_network_has_none(build, hub, client):
    fleet = build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}},
                  {"vps": hub(endpoint="vps.example.com"), "laptop": client()})
    for host in ("vps", "laptop"):
        assert "PresharedKey" not in render(host, "wg0", entry(fleet, host))


def test_skip_unknown_peers(fleet):
    text = render("vps", "wg0", entry(fleet, "vps"), skip_unknown_peers=True)
    assert set(sections(text)) == {"Interface", "laptop"}
    assert "<public key of" not in text


def test_keepalive_zero_disables_it(build, hub, client):
    fleet = build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}},
                  {"vps": hub(endpoint="vps.example.com"), "laptop": client(keepalive=0), "desk": client(keepalive=15)})
    assert "PersistentKeepalive" not in render("laptop", "wg0", entry(fleet, "laptop"))
    assert "PersistentKeepalive = 15" in render("desk", "wg0", entry(fleet, "desk"))


def test_mesh_endpoints_and_ipv6(build, mesh):
    fleet = build({"wg0": {"ipv4": "10.8.0.0/24", "ipv6": "fd00:8::/64", "port": 51820}},
                  {"alpha": mesh(endpoint="[2001:db8::1]:51820", address="10.8.0.1"),
                   "bravo": mesh(endpoint="bravo.example.com:4500", address="10.8.0.2")})
    alpha = render("alpha", "wg0", entry(fleet, "alpha"))
    bravo = render("bravo", "wg0", entry(fleet, "bravo"))
    assert "Address = 10.8.0.1/24, fd00:8::1/64" in alpha
    assert "Endpoint = bravo.example.com:4500" in alpha
    assert "Endpoint = [2001:db8::1]:51820" in bravo
    assert "AllowedIPs = 10.8.0.2/32, fd00:8::2/128" in alpha
    # Both ends have endpoints: nobody needs a keepalive.
    assert "PersistentKeepalive" not in alpha + bravo


def test_a_peer_name_with_a_line_break_is_refused_naming_the_peer(fleet):
    data = entry(fleet, "vps")
    data = dict(data, peers=[dict(data["peers"][0], name="laptop\nPostUp = touch /tmp/x")] + data["peers"][1:])
    with pytest.raises(ValueError, match=r"^peer 1 name 'laptop\\nPostUp = touch /tmp/x' holds the control character"):
        render("vps", "wg0", data)


def test_the_private_key_note_replaces_the_default_comment(fleet):
    text = render("phone", "wg0", entry(fleet, "phone"), private_key_note="kept in the controller store")
    assert "# PrivateKey: kept in the controller store" in text.splitlines()
    assert "generated on" not in text
