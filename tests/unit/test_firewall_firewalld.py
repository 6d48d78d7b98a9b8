# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewalld backend: plan()'s rules as a zone and policies (module_utils/firewall_firewalld.py), the
firewalld_objects module against a simulated firewalld (permanent config loaded from the files on reload,
runtime changed by firewall-cmd calls), and the backend choice on firewalld hosts."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.module_utils import firewall_firewalld as fwd
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import Rule, choose_backend, placement, plan
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters
from ansible_collections.wirefleet.wireguard.plugins.modules import firewall_facts, firewalld_objects

GATEWAY = {"listen": [{"interface": "wg0", "port": 51820, "sources": ["198.51.100.7", "2001:db8::7"]}],
           "forwarding": [{"interface": "wg0", "between_peers": True, "lans": ["192.168.10.0/24"]}],
           "nat": [{"interface": "wg0", "source": "10.8.0.0/24", "out_interface": "eth0"}],
           "protect_ipv6": [{"interface": "wg0", "prefix": "2001:db8:1::/64"}]}
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def policies(objects):
    """{policy name: parsed XML root} of rendered objects."""
    return {path[len("policies/"):-4]: ET.fromstring(text.split("\n", 1)[1])
            for path, text in objects["files"].items() if path.startswith("policies/")}


def by_pair(objects):
    return {(p.find("ingress-zone").get("name"), p.find("egress-zone").get("name")): p
            for p in policies(objects).values()}


def gateway_objects(**kwargs):
    rules = plan(GATEWAY)
    return rules, fwd.render(rules, fwd.wireguard_interfaces(GATEWAY), interface_zones={"eth0": "external"}, **kwargs)


def test_the_gateway_needs_a_zone_and_one_policy_per_zone_pair():
    _rules, objects = gateway_objects()
    assert (objects["zone"], objects["own_zone"], objects["interfaces"]) == ("wirefleet", True, ["wg0"])
    zone = ET.fromstring(objects["files"]["zones/wirefleet.xml"].split("\n", 1)[1])
    assert [i.get("name") for i in zone.findall("interface")] == ["wg0"]
    assert set(by_pair(objects)) == {("ANY", "HOST"), ("ANY", "wirefleet"), ("wirefleet", "ANY"),
                                     ("wirefleet", "wirefleet"), ("ANY", "external")}
    listen = by_pair(objects)["ANY", "HOST"]
    assert [(r.get("family"), r.find("source").get("address") if r.find("source") is not None else None,
             r.find("port").get("port"), r[-1].tag) for r in listen.findall("rule")] == [
        ("ipv4", "198.51.100.7", "51820", "accept"), ("ipv6", "2001:db8::7", "51820", "accept"),
        (None, None, "51820", "drop")]
    nat = by_pair(objects)["ANY", "external"].find("rule")
    found = (nat.get("family"), nat.find("source").get("address"), nat[-1].tag)
    assert found == ("ipv4", "10.8.0.0/24", "masquerade")


def test_plan_order_holds_inside_and_across_policies():
    _rules, objects = gateway_objects()
    found = sorted(policies(objects).values(), key=lambda p: int(p.get("priority")))
    assert all(int(p.get("priority")) < 0 and p.get("target") == "CONTINUE" for p in found)
    for policy in found:
        priorities = [int(r.get("priority")) for r in policy.findall("rule")]
        assert priorities == sorted(priorities) and all(p < 0 for p in priorities)
    # between peers (wirefleet -> wirefleet) runs before the policy ending in "not routed by the topology"
    order = [(p.find("ingress-zone").get("name"), p.find("egress-zone").get("name")) for p in found]
    assert order.index(("wirefleet", "wirefleet")) < order.index(("wirefleet", "ANY"))
    assert by_pair(objects)["wirefleet", "ANY"].findall("rule")[-1][-1].tag == "drop"


def test_established_rules_are_left_to_firewalld_and_ipv6_rejects_keep_their_type():
    rules, objects = gateway_objects()
    written = sum(len(p.findall("rule")) for p in policies(objects).values())
    assert written == len([r for r in rules if r.ct != "established,related"])
    reject = [r for p in policies(objects).values() for r in p.findall("rule") if r[-1].tag == "reject"]
    assert [(r.get("family"), r[-1].get("type")) for r in reject] == [("ipv6", "icmp6-port-unreachable")]


def test_a_user_zone_gets_no_file_and_is_named_by_the_policies():
    _rules, objects = gateway_objects(zone="internal")
    assert objects["zone"] == "internal" and not objects["own_zone"]
    assert "zones/wirefleet.xml" not in objects["files"]
    assert ("internal", "ANY") in by_pair(objects) and ("ANY", "internal") in by_pair(objects)


@pytest.mark.parametrize("zone", ["", "ANY", "HOST", "a" * 18, "bad zone", "-x", "x\ny", "zöne", 7])
def test_bad_zone_names_are_refused(zone):
    with pytest.raises(ValueError, match="zone"):
        fwd.render(plan(GATEWAY), ["wg0"], zone=zone)


def test_uplinks_go_to_their_zone_or_the_default_zone():
    rules = plan(GATEWAY)
    objects = fwd.render(rules, ["wg0"], default_zone="dmz")
    assert ("ANY", "dmz") in by_pair(objects)
    with pytest.raises(ValueError, match="zone of interface eth0"):
        fwd.render(rules, ["wg0"], interface_zones={"eth0": "bad zone"})


def test_two_forwarding_interfaces_in_one_zone_are_refused_not_leaked():
    system = {"forwarding": [{"interface": "wg0", "lans": ["192.168.10.0/24"]},
                             {"interface": "home", "lans": ["192.168.20.0/24"]}]}
    with pytest.raises(ValueError, match="cannot keep the forwarding of home, wg0 apart"):
        fwd.render(plan(system), fwd.wireguard_interfaces(system))
    # two listening interfaces alone are fine: input rules do not depend on the zone
    system = {"listen": [{"interface": "wg0", "port": 1, "sources": None}, {"interface": "home", "port": 2}]}
    assert fwd.render(plan(system), fwd.wireguard_interfaces(system))["interfaces"] == ["home", "wg0"]


def test_only_wirefleets_own_files_are_recognised():
    assert fwd.is_own_file("zones/wirefleet.xml") and fwd.is_own_file("policies/wirefleet-12.xml")
    for other in ("zones/public.xml", "zones/wirefleet2.xml", "policies/wirefleet-x.xml", "policies/wirefleet-.xml",
                  "policies/mine.xml", "services/wirefleet-1.xml", "zones/wirefleet-1.xml"):
        assert not fwd.is_own_file(other), other


def test_parsers_of_firewall_cmd_output():
    assert fwd.parse_active_zones("public\n  interfaces: eth0 eth1\nwirefleet\n  interfaces: wg0\n"
                                  "trusted\n  sources: 10.0.0.0/8\n") == {"eth0": "public", "eth1": "public",
                                                                          "wg0": "wirefleet"}
    assert fwd.parse_firewalld_conf("# x\nDefaultZone=public\nFirewallBackend=iptables\n") == "iptables"
    assert fwd.parse_firewalld_conf("DefaultZone=public\n") == "nftables"
    assert fwd.parse_lines("\n\trule a\n rule b \n\n") == ["rule a", "rule b"]


def test_control_characters_never_reach_firewall_cmd():
    assert fwd.safe_argv(["firewall-cmd", "--zone=x"]) == ["firewall-cmd", "--zone=x"]
    for bad in ("--zone=x\n--reload", "a\x00b", "a\u2028b", None):
        with pytest.raises(ValueError):
            fwd.safe_argv(["firewall-cmd", bad])


# Hostile values: whatever reaches render is refused or written escaped, as the same value, into valid XML.
hostile = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@SETTINGS
@given(comment=hostile, zone=hostile, iface=hostile, addr=hostile)
def test_hostile_values_are_refused_or_escaped(comment, zone, iface, addr):
    rule = Rule("forward", "accept", comment, iif=iface or None, family=4, daddr=addr or None)
    try:
        objects = fwd.render([rule], [iface] if iface else [], zone=zone or None)
    except ValueError:
        return
    for text in objects["files"].values():
        assert control_characters(text) in ([], ["\\n"])
        root = ET.fromstring(text.split("\n", 1)[1])
        assert all(not control_characters(value) for element in root.iter() for value in element.attrib.values())
    written = [r for p in policies(objects).values() for r in p.findall("rule")]
    if addr:
        assert written[0].find("destination").get("address") == addr
    description = " ".join(p.find("description").text for p in policies(objects).values())
    assert comment.replace('"', "'") in description or comment in description


@SETTINGS
@given(text=hostile)
def test_zone_names_are_refused_unless_plain(text):
    try:
        assert fwd.zone_name("zone", text) == text
    except ValueError:
        return
    assert text.isascii() and not control_characters(text) and len(text) <= 17


# The backend choice on firewalld hosts.
FIREWALLD_TABLE = {"tool": "nftables", "family": "inet", "table": "firewalld", "chain": "filter_FORWARD",
                   "hook": "forward", "type": "filter", "policy": "accept", "drops": True, "drop_rules": 3}
DOCKER_FORWARD = {"tool": "iptables", "family": "ip", "table": "filter", "chain": "FORWARD", "hook": "forward",
                  "type": "filter", "policy": "drop", "drops": True, "drop_rules": 0}


def test_firewalld_with_its_iptables_backend_is_refused_naming_the_setting():
    facts = {"firewalld_running": True, "firewalld_backend": "iptables"}
    for requested in ("auto", "firewalld"):
        backend, problems = choose_backend(requested, facts)
        assert backend == "firewalld" and "FirewallBackend=iptables" in problems[0]
        assert "/etc/firewalld/firewalld.conf" in problems[0]
    assert choose_backend("auto", dict(facts, firewalld_backend="nftables")) == ("firewalld", [])
    assert choose_backend("nftables", facts) == ("nftables", [])


def test_docker_forward_drop_on_a_firewalld_host_still_gets_the_placed_accepts():
    facts = {"nft": True, "iptables": "nft", "firewalld_running": True, "firewalld_backend": "nftables",
             "chains": [FIREWALLD_TABLE, DOCKER_FORWARD]}
    result = placement(plan(GATEWAY), facts, "auto")
    assert result["backend"] == "firewalld" and result["problems"] == []
    assert result["hooks"] == [{"family": 4, "hook": "forward", "chain": "FORWARD",
                                "target": "WIREFLEET-PASS-FORWARD"}]


def test_firewall_facts_reports_firewalld_zones_and_backend(monkeypatch, capsys, tmp_path):
    conf = tmp_path / "firewalld.conf"
    conf.write_text("FirewallBackend=nftables\n")
    monkeypatch.setattr(firewall_facts, "FIREWALLD_CONF", str(conf))
    answers = {"--state": "running\n", "--get-default-zone": "public\n",
               "--get-active-zones": "public\n  interfaces: eth0\nwirefleet\n  interfaces: wg0\n"}

    def run_command(self, args, **_kwargs):
        if os.path.basename(args[0]) == "firewall-cmd":
            return 0, answers[args[1]], ""
        raise AssertionError(args)
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path",
                        lambda self, name, required=False: "/usr/bin/firewall-cmd" if name == "firewall-cmd" else None)
    with patch_module_args({}):
        with pytest.raises(SystemExit):
            firewall_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert (result["firewalld_running"], result["firewalld_backend"], result["firewalld_default_zone"]) == (
        True, "nftables", "public")
    assert result["firewalld_zones"] == {"eth0": "public", "wg0": "wirefleet"}


class FakeFirewalld:
    """firewall-cmd against a simulated daemon: the permanent configuration is what the XML files held at the last
    reload (as in firewalld), the runtime a copy of it changed by runtime calls; rich rules are the XML text."""

    def __init__(self, config_dir, zones=("public", "internal")):
        self.config_dir = config_dir
        self.builtin_zones = list(zones)
        self.bindings = {"permanent": {}, "runtime": {}}
        self.reloads = 0
        self.calls = []
        self.bad_config = False
        self.load()

    def load(self):
        self.policies = {}
        folder = os.path.join(self.config_dir, "policies")
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
            if name.endswith(".xml"):
                root = ET.parse(os.path.join(folder, name)).getroot()
                self.policies[name[:-4]] = {
                    "rich": [" ".join(ET.tostring(r, encoding="unicode").split()) for r in root.findall("rule")],
                    "ingress": [z.get("name") for z in root.findall("ingress-zone")],
                    "egress": [z.get("name") for z in root.findall("egress-zone")]}
        self.zones = list(self.builtin_zones)
        own = os.path.join(self.config_dir, "zones", "wirefleet.xml")
        if os.path.exists(own):
            self.zones.append("wirefleet")
            for element in ET.parse(own).getroot().findall("interface"):
                self.bindings["permanent"][element.get("name")] = "wirefleet"
        self.permanent = json.loads(json.dumps(self.policies))
        self.runtime = json.loads(json.dumps(self.policies))
        self.runtime_zones = list(self.zones)
        self.bindings["runtime"] = dict(self.bindings["permanent"])

    def rewrite_own_zone_without(self, interface):
        """As firewalld does when an interface moves out of a zone permanently: it rewrites that zone's file."""
        path = os.path.join(self.config_dir, "zones", "wirefleet.xml")
        if os.path.exists(path):
            root = ET.parse(path).getroot()
            for element in root.findall("interface"):
                if element.get("name") == interface:
                    root.remove(element)
            os.replace(path, path + ".old")
            ET.ElementTree(root).write(path)

    def __call__(self, module, args, **_kwargs):
        assert isinstance(args, list) and not any(control_characters(a) for a in args)
        args = args[1:]
        self.calls.append(args)
        where = "permanent" if args[0] == "--permanent" else "runtime"
        args = args[1:] if where == "permanent" else args
        options = dict(arg[2:].split("=", 1) if "=" in arg else (arg[2:], "") for arg in args)
        policies = self.permanent if where == "permanent" else self.runtime
        if "state" in options:
            return 0, "running\n", ""
        if "check-config" in options:
            return (1, "", "Error: INVALID_ZONE") if self.bad_config else (0, "success\n", "")
        if "reload" in options:
            self.reloads += 1
            self.load()
            return 0, "success\n", ""
        if "get-default-zone" in options:
            return 0, "public\n", ""
        if "get-zones" in options:
            return 0, " ".join(self.zones if where == "permanent" else self.runtime_zones) + "\n", ""
        if "get-policies" in options:
            return 0, " ".join(sorted(policies)) + "\n", ""
        if "get-zone-of-interface" in options:
            zone = self.bindings[where].get(options["get-zone-of-interface"])
            return (0, zone + "\n", "") if zone else (2, "", "no zone")
        if "zone" in options:
            name = options.get("change-interface") or options.get("remove-interface")
            if "change-interface" in options:
                if where == "permanent" and self.bindings[where].get(name) == "wirefleet":
                    self.rewrite_own_zone_without(name)
                self.bindings[where][name] = options["zone"]
            elif self.bindings[where].get(name) == options["zone"]:
                del self.bindings[where][name]
            return 0, "success\n", ""
        policy = policies[options["policy"]]
        for key, field in (("rich-rules", "rich"), ("ingress-zones", "ingress"), ("egress-zones", "egress")):
            if "list-" + key in options:
                separator = "\n" if field == "rich" else " "
                return 0, separator.join(policy[field]) + "\n", ""
            for verb in ("add", "remove"):
                item = options.get("%s-%s" % (verb, key[:-1]))
                if item is not None:
                    if verb == "add":
                        policy[field].append(item)
                    else:
                        policy[field].remove(item)
                    return 0, "success\n", ""
        raise AssertionError(args)


@pytest.fixture
def host(tmp_path, monkeypatch):
    config_dir = tmp_path / "firewalld"
    config_dir.mkdir()
    fake = FakeFirewalld(str(config_dir))
    monkeypatch.setattr(AnsibleModule, "run_command", lambda module, args, **kwargs: fake(module, args))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name)
    fake.record = str(tmp_path / "wirefleet" / "firewalld-bindings.json")
    return fake


def run(host, capsys, check=False, **args):
    args = dict({"system": GATEWAY, "default_interface": "eth0", "config_dir": host.config_dir,
                 "record": host.record, "_ansible_check_mode": check, "_ansible_diff": True}, **args)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            firewalld_objects.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_before_the_first_run_reports_and_writes_nothing(host, capsys):
    result = run(host, capsys, check=True)
    assert result["changed"] and result["reloaded"] and "zones/wirefleet.xml" in result["written"]
    assert result["diff"] and os.listdir(host.config_dir) == [] and host.reloads == 0


def test_first_run_writes_checks_and_reloads_once_then_nothing(host, capsys):
    first = run(host, capsys)
    assert first["changed"] and first["reloaded"] and host.reloads == 1
    assert ["--check-config"] in host.calls
    assert host.bindings["runtime"] == {"wg0": "wirefleet"} and len(host.runtime) == 5
    again = run(host, capsys)
    assert (again["changed"], again["reloaded"], again["repaired"], host.reloads) == (False, False, [], 1)
    assert run(host, capsys, check=True)["changed"] is False


def test_runtime_drift_is_repaired_without_a_reload(host, capsys):
    run(host, capsys)
    del host.bindings["runtime"]["wg0"]
    name = sorted(host.runtime)[0]
    removed = host.runtime[name]["rich"].pop(0)
    host.runtime[name]["rich"].append("rule added by hand")
    checked = run(host, capsys, check=True)
    assert checked["changed"] and host.bindings["runtime"] == {} and host.reloads == 1
    repaired = run(host, capsys)
    assert repaired["changed"] and not repaired["reloaded"] and host.reloads == 1
    assert host.bindings["runtime"] == {"wg0": "wirefleet"} and removed in host.runtime[name]["rich"]
    assert "rule added by hand" not in host.runtime[name]["rich"]
    assert run(host, capsys)["changed"] is False


def test_a_policy_missing_at_runtime_or_an_edited_file_reloads(host, capsys):
    run(host, capsys)
    path = os.path.join(host.config_dir, "policies", "wirefleet-0.xml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("<policy/>\n")
    result = run(host, capsys)
    assert result["written"] == ["policies/wirefleet-0.xml"] and result["reloaded"] and host.reloads == 2
    del host.runtime["wirefleet-1"]
    assert run(host, capsys)["reloaded"] and host.reloads == 3


def test_a_refused_configuration_is_rolled_back(host, capsys):
    host.bad_config = True
    result = run(host, capsys)
    assert result["failed"] and "rolled back" in result["msg"]
    assert os.listdir(os.path.join(host.config_dir, "policies")) == [] and host.reloads == 0


def test_a_user_zone_gets_only_the_binding_and_loses_only_that(host, capsys):
    host.bindings["permanent"]["eth1"] = "internal"
    result = run(host, capsys, zone="internal")
    assert result["zone"] == "internal" and "zones/wirefleet.xml" not in result["written"]
    assert host.bindings["permanent"] == {"eth1": "internal", "wg0": "internal"}
    assert host.bindings["runtime"]["wg0"] == "internal"
    with open(host.record, encoding="utf-8") as handle:
        assert json.load(handle) == {"bindings": [{"interface": "wg0", "zone": "internal"}]}
    assert run(host, capsys, zone="internal")["changed"] is False
    removed = run(host, capsys, state="absent")
    assert removed["changed"] and removed["reloaded"]
    assert host.bindings["permanent"] == {"eth1": "internal"} and not os.path.exists(host.record)
    assert os.listdir(os.path.join(host.config_dir, "policies")) == [] and host.runtime == {}


def test_an_interface_the_user_bound_himself_is_left_to_him(host, capsys):
    host.bindings["permanent"]["wg0"] = "internal"
    host.bindings["runtime"]["wg0"] = "internal"
    assert "bind" not in " ".join(run(host, capsys, zone="internal")["repaired"])
    run(host, capsys, state="absent")
    assert host.bindings["permanent"] == {"wg0": "internal"}


def test_absent_removes_every_file_of_ours_and_nothing_else(host, capsys):
    run(host, capsys)
    os.makedirs(os.path.join(host.config_dir, "zones"), exist_ok=True)
    for name in ("zones/public.xml", "zones/wirefleet.xml.old", "policies/mine.xml"):
        with open(os.path.join(host.config_dir, name), "w", encoding="utf-8") as handle:
            handle.write("<x/>\n")
    result = run(host, capsys, state="absent")
    assert result["changed"] and "zones/wirefleet.xml.old" in result["removed"]
    assert sorted(os.listdir(os.path.join(host.config_dir, "zones"))) == ["public.xml"]
    assert os.listdir(os.path.join(host.config_dir, "policies")) == ["mine.xml"]
    assert run(host, capsys, state="absent")["changed"] is False


def test_moving_to_a_user_zone_leaves_no_zone_of_wirefleet(host, capsys):
    run(host, capsys)
    moved = run(host, capsys, zone="internal")
    assert "zones/wirefleet.xml" in moved["removed"] and moved["reloaded"]
    assert not os.path.exists(os.path.join(host.config_dir, "zones", "wirefleet.xml"))
    assert "wirefleet" not in host.zones and host.bindings["permanent"]["wg0"] == "internal"
    assert run(host, capsys, zone="internal")["changed"] is False
    back = run(host, capsys)
    assert back["changed"] and host.bindings["permanent"]["wg0"] == "wirefleet" and not os.path.exists(host.record)
