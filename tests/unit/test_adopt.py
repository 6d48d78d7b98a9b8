# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adopting hand-made networks (plugin_utils/adopt.py, filter adopt_proposal).

The central property is the round trip: hand-made configs -> proposal -> the engine's fleet -> the same peers,
AllowedIPs, endpoints, keepalives, addresses and ports, so converging an adopted network changes nothing that
carries traffic. Values read from hosts are hostile: whatever they hold, nothing unsafe reaches the proposal.
"""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.adopt_proposal import adopt_proposal
from ansible_collections.wirefleet.wireguard.plugins.plugin_utils.adopt import converge_changes, engine_hosts, propose
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters, is_name
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import down_hooks, read_existing

from conftest import fake_key

KEYS = {name: fake_key("adopt " + name) for name in ("vps", "laptop", "office", "phone", "a", "b", "c", "d")}


def existing(name, key, text, active=True):
    """What wg_existing returns for one config (its PrivateKey replaced by the public key it belongs to)."""
    found = read_existing(text)
    settings_ = dict(found["interface"])
    settings_.pop("privatekey", None)
    return {"name": name, "wirefleet": False, "public_key": key, "active": active, "key_file": False, "up": True,
            "interface": settings_, "peers": [{"settings": dict(peer["settings"]), "name": peer["name"]}
                                              for peer in found["peers"]]}


def peer(key, allowed, endpoint=None, keepalive=None, comment=None):
    lines = (["# " + comment] if comment else []) + ["[Peer]", "PublicKey = " + key, "AllowedIPs = " + allowed]
    lines += ["Endpoint = " + endpoint] if endpoint else []
    lines += ["PersistentKeepalive = %d" % keepalive] if keepalive else []
    return "\n".join(lines) + "\n"


def interface(address, port=None, extra=""):
    return "[Interface]\nAddress = %s\nPrivateKey = x\n%s%s\n" % (address, "ListenPort = %d\n" % port if port else "", extra)


HUB_HOOKS = ("PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o ens3 -j MASQUERADE\n"
             "PostDown = iptables -D FORWARD -i %i -j ACCEPT; iptables -t nat -D POSTROUTING -o ens3 -j MASQUERADE\n")


def star_fleet(full_tunnel=False):
    """vps hub (NAT in PostUp, a LAN), laptop client (split or full), office gateway with a LAN, phone device."""
    hub = interface("10.66.0.1/24", 51820, HUB_HOOKS) + peer(KEYS["laptop"], "10.66.0.2/32", comment="laptop") + \
        peer(KEYS["office"], "10.66.0.3/32, 192.168.50.0/24", comment="office") + \
        peer(KEYS["phone"], "10.66.0.4/32", comment="Anna's phone")
    to_hub = "0.0.0.0/0" if full_tunnel else "10.66.0.0/24, 192.168.50.0/24, 172.30.0.0/24"
    laptop = interface("10.66.0.2/32", extra="DNS = 10.66.0.1\n") + peer(KEYS["vps"], to_hub, "vpn.example.com:51820", 25)
    office = interface("10.66.0.3/24") + peer(KEYS["vps"], "10.66.0.0/24, 172.30.0.0/24", "vpn.example.com:51820", 25)
    return {"vps": [existing("wg0", KEYS["vps"], hub)], "laptop": [existing("wg0", KEYS["laptop"], laptop)],
            "office": [existing("wg0", KEYS["office"], office)]}


def round_trip(found):
    proposal = propose(found, sorted(found))
    assert proposal["problems"] == []
    fleet = build_fleet(proposal["networks"], engine_hosts(proposal), proposal["public_keys"], proposal["leases"])
    return proposal, fleet, converge_changes(found, fleet["hosts"])


def test_star_round_trip_keeps_every_peer_route_and_address():
    found = star_fleet()
    proposal, fleet, changes = round_trip(found)
    assert proposal["networks"] == {"wg0": {"ipv4": "10.66.0.0/24", "port": 51820, "dns": ["10.66.0.1"]}}
    assert proposal["groups"] == {"wireguard_clients": ["anna-s-phone", "laptop"], "wireguard_gateways": ["office"],
                                  "wireguard_hubs": ["vps"]}
    assert proposal["host_vars"]["vps"] == {"wireguard_address": "10.66.0.1", "wireguard_endpoint": "vpn.example.com",
                                            "wireguard_lans": ["172.30.0.0/24"], "wireguard_nat": True,
                                            "wireguard_uplink_interface": "ens3"}
    assert proposal["host_vars"]["office"]["wireguard_lans"] == ["192.168.50.0/24"]
    assert proposal["host_vars"]["anna-s-phone"] == {"wireguard_address": "10.66.0.4", "wireguard_managed": False,
                                                     "wireguard_public_key": KEYS["phone"]}
    assert proposal["leases"]["wg0"]["laptop"] == {"ipv4": "10.66.0.2"}
    assert proposal["public_keys"]["vps"] == {"wg0": KEYS["vps"]}
    # the laptop's Address /32 becomes the network's /24 (set live); nothing else changes anywhere
    assert changes[("laptop", "wg0")] == ["Address 10.66.0.2/32 -> 10.66.0.2/24 (set live)"]
    assert changes[("vps", "wg0")] == []
    assert changes[("office", "wg0")] == []


def test_routes_the_hub_passes_on_belong_to_the_spoke_behind_it():
    """A route spokes send to the hub that the hub passes to nobody is the hub's LAN; one it passes to a spoke is
    that spoke's; a route missing on one spoke is added there by the converge (and reported)."""
    found = star_fleet()
    found["laptop"][0]["peers"][0]["settings"]["allowedips"] = ["10.66.0.0/24, 192.168.50.0/24"]
    found["office"][0]["peers"][0]["settings"]["allowedips"] = ["10.66.0.0/24"]
    proposal, _fleet, changes = round_trip(found)
    assert "wireguard_lans" not in proposal["host_vars"]["vps"]
    assert proposal["host_vars"]["office"]["wireguard_lans"] == ["192.168.50.0/24"]
    assert changes[("office", "wg0")] == [] and changes[("vps", "wg0")] == []
    found["laptop"][0]["peers"][0]["settings"]["allowedips"] = ["10.66.0.0/24"]
    assert round_trip(found)[2][("laptop", "wg0")][-1] == "peer vps AllowedIPs 10.66.0.0/24 -> 10.66.0.0/24, 192.168.50.0/24"


def test_full_tunnel_client_makes_the_hub_an_exit_gateway():
    proposal, fleet, changes = round_trip(star_fleet(full_tunnel=True))
    assert proposal["host_vars"]["laptop"]["wireguard_full_tunnel"] is True
    assert proposal["host_vars"]["vps"]["wireguard_nat"] is True
    assert fleet["hosts"]["laptop"]["interfaces"]["wg0"]["peers"][0]["allowed_ips"] == ["0.0.0.0/0"]
    assert not [change for change in changes[("laptop", "wg0")] if "AllowedIPs" in change]


def test_mesh_round_trip():
    names = ("a", "b", "c")
    found = {}
    for number, name in enumerate(names, 1):
        text = interface("10.9.0.%d/24" % number, 51000 + (name == "c"))
        for other_number, other in enumerate(names, 1):
            if other != name:
                text += peer(KEYS[other], "10.9.0.%d/32" % other_number, "%s.example.net:%d" % (other, 51000 + (other == "c")))
        found[name] = [existing("mesh0", KEYS[name], text)]
    proposal, _fleet, changes = round_trip(found)
    assert proposal["groups"] == {"wireguard_mesh": ["a", "b", "c"]}
    assert proposal["networks"]["mesh0"]["port"] == 51000
    assert proposal["host_vars"]["c"]["wireguard_port"] == 51001
    assert all(change == [] for change in changes.values()), changes


def test_problems_name_host_and_what_cannot_be_adopted():
    ring = {}
    for number, (name, left, right) in enumerate((("a", "d", "b"), ("b", "a", "c"), ("c", "b", "d"), ("d", "c", "a")), 1):
        text = interface("10.7.0.%d/24" % number, 51820)
        text += peer(KEYS[left], "10.7.0.99/32", left + ".example.net:51820")
        text += peer(KEYS[right], "10.7.0.98/32", right + ".example.net:51820")
        ring[name] = [existing("wg0", KEYS[name], text)]
    problems = propose(ring, sorted(ring))["problems"]
    assert len(problems) == 1 and "neither a star" in problems[0] and "a (wg0)" in problems[0]
    same_key = {"a": [existing("wg0", KEYS["a"], interface("10.7.0.1/24"))],
                "b": [existing("wg0", KEYS["a"], interface("10.7.0.2/24"))]}
    assert "the same private key as host 'a'" in propose(same_key)["problems"][0]
    no_key = {"a": [dict(existing("wg0", None, interface("10.7.0.1/24")))]}
    assert "no valid PrivateKey" in propose(no_key)["problems"][0]


def test_settings_wirefleet_does_not_write_are_reported_not_carried():
    found = star_fleet()
    found["vps"][0]["interface"]["table"] = ["off"]
    found["vps"][0]["active"] = False
    report = propose(found)["report"]
    assert any("PostUp = iptables -A FORWARD" in line and "not carried over" in line for line in report)
    assert any("Table = off" in line for line in report)
    assert any("wg-quick@wg0 is not active" in line for line in report)


def test_wirefleet_configs_are_not_adopted_again():
    found = star_fleet()
    found["vps"][0]["wirefleet"] = True
    proposal = propose(found)
    assert any("written by wirefleet already" in line for line in proposal["report"])


def test_read_existing_names_peers_from_comments():
    text = ("[Interface]\nPrivateKey = x\n\n### Client laptop\n[Peer]\nPublicKey = a\n\n"
            "[Peer]\n# Name = Anna's phone\nPublicKey = b\n\n[Peer]\nPublicKey = c\n")
    assert [p["name"] for p in read_existing(text)["peers"]] == ["client-laptop", "anna-s-phone", None]


def test_down_hooks_leave_what_takes_an_interface_down():
    run, left = down_hooks({"predown": ["iptables -D INPUT -i %i -j ACCEPT"],
                            "postdown": ["ip link del %i", "wg-quick down wg1", "systemctl stop foo"]}, "wg0")
    assert run == ["iptables -D INPUT -i wg0 -j ACCEPT"]
    assert left == ["ip link del wg0", "wg-quick down wg1", "systemctl stop foo"]


HOSTILE = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(comment=HOSTILE, endpoint=HOSTILE, allowed=HOSTILE, dns=HOSTILE, postup=HOSTILE, name=HOSTILE)
def test_hostile_values_never_reach_the_proposal(comment, endpoint, allowed, dns, postup, name):
    """Whatever a host's config holds, propose never raises, every name is valid, every value is one safe line,
    and the files it writes load back as the same data."""
    found = star_fleet()
    hub = found["vps"][0]
    hub["peers"][2]["name"] = comment
    hub["interface"]["postup"] = [postup]
    found["laptop"][0]["peers"][0]["settings"]["endpoint"] = [endpoint]
    found["laptop"][0]["peers"][0]["settings"]["allowedips"] = [allowed]
    found["laptop"][0]["interface"]["dns"] = [dns]
    found["office"][0]["name"] = name or "wg0"
    proposal = propose(found, sorted(found))

    def strings(value):
        if isinstance(value, dict):
            return [s for key, item in value.items() for s in strings(key) + strings(item)]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        return [value] if isinstance(value, str) else []

    for host in list(proposal["host_vars"]) + [h for hosts in proposal["groups"].values() for h in hosts]:
        assert is_name(host)
    for text in strings([proposal["networks"], proposal["host_vars"], proposal["report"], proposal["problems"]]):
        assert not control_characters(text), text
    hostvars = {host: {"__wireguard_adopt_found": {"interfaces": entries}} for host, entries in found.items()}
    result = adopt_proposal(hostvars, sorted(found), sorted(found))
    for path, text in result["files"].items():
        if path.endswith(".yml"):
            yaml.safe_load(text)
    for line in result["lines"]:
        assert not control_characters(line), line


def test_filter_writes_files_that_load_back():
    found = star_fleet()
    hostvars = {host: {"__wireguard_adopt_found": {"interfaces": entries}} for host, entries in found.items()}
    store = {"leases": {"wg0": {"old": {"ipv4": "10.66.0.9"}}, "other": {"x": {"ipv4": "10.1.0.2"}}}}
    result = adopt_proposal(hostvars, sorted(found), sorted(found) + ["elsewhere"], store, unread=["down"])
    assert result["problems"] == []
    assert yaml.safe_load(result["files"]["hosts.yml"])["all"]["children"]["wireguard_hubs"]["hosts"] == {"vps": None}
    assert yaml.safe_load(result["files"]["group_vars/all/wireguard.yml"])["wireguard_networks"]["wg0"]["port"] == 51820
    assert yaml.safe_load(result["files"]["host_vars/anna-s-phone.yml"])["wireguard_managed"] is False
    assert result["leases"]["wg0"]["old"] == {"ipv4": "10.66.0.9"} and result["leases"]["wg0"]["vps"] == {"ipv4": "10.66.0.1"}
    assert result["leases"]["other"] == {"x": {"ipv4": "10.1.0.2"}}
    assert result["public_key_files"]["laptop"] == {"wg0.pub": KEYS["laptop"]}
    assert "not read (failed or unreachable): down" in result["lines"]
    assert "vps wg0: converging keeps its key, addresses, port, peers and routes" in result["files"]["REPORT.txt"]


def test_a_host_in_two_networks_gets_roles_per_network():
    """The vps is the hub of wg0 and a client of lab0 (hub: office): wireguard_roles and per-network settings."""
    found = star_fleet()
    lab_key = fake_key("vps lab0")
    office_lab = interface("10.77.0.1/24", 51900) + peer(lab_key, "10.77.0.2/32", comment="vps")
    vps_lab = interface("10.77.0.2/32") + peer(fake_key("office lab0"), "10.77.0.0/24", "office.example.com:51900", 25)
    found["office"].append(existing("lab0", fake_key("office lab0"), office_lab))
    found["vps"].append(existing("lab0", lab_key, vps_lab))
    proposal, fleet, changes = round_trip(found)
    assert proposal["host_vars"]["vps"]["wireguard_roles"] == {"lab0": "client", "wg0": "hub"}
    assert proposal["host_vars"]["vps"]["wireguard_per_network"]["lab0"]["address"] == "10.77.0.2"
    assert proposal["host_vars"]["office"]["wireguard_roles"] == {"lab0": "hub", "wg0": "gateway"}
    assert changes[("vps", "lab0")] == ["Address 10.77.0.2/32 -> 10.77.0.2/24 (set live)"]
    assert changes[("office", "lab0")] == [] and changes[("vps", "wg0")] == []
    assert set(fleet["hosts"]["vps"]["interfaces"]) == {"wg0", "lab0"}
    hostvars = {host: {"__wireguard_adopt_found": {"interfaces": entries}} for host, entries in found.items()}
    listed = yaml.safe_load(adopt_proposal(hostvars, sorted(found), sorted(found))["files"]["hosts.yml"])["all"]
    assert sorted(listed["hosts"]) == ["anna-s-phone", "laptop", "office", "vps"]  # devices too: nobody lost
