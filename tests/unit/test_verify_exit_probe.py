# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify.yml's exit probe: which full-tunnel clients fetch which URL, the address their exit gateway's traffic
must leave with, the strict URL check and the judgement of the answers (module_utils/verify.py, filters
verify_exit_probes, verify_exit_results and verify_textfile)."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import assume, given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.verify_exit_probes import verify_exit_probes
from ansible_collections.wirefleet.wireguard.plugins.filter.verify_exit_results import verify_exit_results
from ansible_collections.wirefleet.wireguard.plugins.filter.verify_textfile import verify_textfile
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import is_hostname
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet
from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import probe_url_problem
from ansible_collections.wirefleet.wireguard.plugins.module_utils.vocabulary import KNOWN_VARIABLES

from conftest import fake_key, make_host

NET = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}}
URL = "https://ifconfig.me/ip"
HOSTS = {"vps": make_host(["wireguard_hubs"], endpoint="203.0.113.7", address="10.8.0.1", nat=True),
         "laptop": make_host(["wireguard_clients"], address="10.8.0.2", full_tunnel=True),
         "desktop": make_host(["wireguard_clients"], address="10.8.0.3"),   # split tunnel: nothing to probe
         "phone": make_host(["wireguard_clients"], address="10.8.0.4", full_tunnel=True, managed=False)}
KEYS = {name: {"wg0": fake_key(name)} for name in HOSTS}
_FLEETS = {}


def fleet(endpoint="203.0.113.7"):
    if endpoint not in _FLEETS:
        hosts = dict(HOSTS, vps=make_host(["wireguard_hubs"], endpoint=endpoint, address="10.8.0.1", nat=True))
        _FLEETS[endpoint] = build_fleet(NET, hosts, KEYS)
    return _FLEETS[endpoint]


def hostvars(**per_host):
    """Every host with the URL (as group_vars/all sets it), plus per-host variables."""
    return {name: dict({"wireguard_exit_probe_url": URL}, **per_host.get(name, {})) for name in HOSTS}


def test_the_variables_are_known_names():
    assert {"wireguard_exit_probe_url", "wireguard_exit_probe_address"} <= KNOWN_VARIABLES


def test_a_managed_full_tunnel_client_probes_through_its_exit_gateway_expecting_its_endpoint_address():
    probes = verify_exit_probes(fleet(), hostvars())
    assert probes["laptop"] == [{"client": "laptop", "interface": "wg0", "gateway": "vps", "url": URL,
                                 "expected": ["203.0.113.7"]}]
    # the split-tunnel desktop and the hub probe nothing; the unmanaged phone runs nothing
    assert probes["desktop"] == [] and probes["vps"] == [] and "phone" not in probes


def test_the_gateways_address_variable_wins_and_takes_a_list_normalised():
    variables = hostvars(vps={"wireguard_exit_probe_address": ["198.51.100.9", "2001:DB8:0:0::9", "198.51.100.9"]})
    assert verify_exit_probes(fleet(), variables)["laptop"][0]["expected"] == ["198.51.100.9", "2001:db8::9"]
    single = hostvars(vps={"wireguard_exit_probe_address": "::ffff:198.51.100.9"})   # IPv4-mapped: read as IPv4
    assert verify_exit_probes(fleet(), single)["laptop"][0]["expected"] == ["198.51.100.9"]


def test_an_ipv6_endpoint_is_expected_without_brackets():
    assert verify_exit_probes(fleet("[2001:db8::7]:51820"), hostvars())["laptop"][0]["expected"] == ["2001:db8::7"]


def test_a_gateway_reached_by_name_needs_the_address_named_with_the_client():
    with pytest.raises(AnsibleFilterError, match=r"^verify_exit_probes: host 'vps': wireguard_exit_probe_address is "
                                                 r"required: client 'laptop' probes .* endpoint vpn\.example\.net:51820"):
        verify_exit_probes(fleet("vpn.example.net"), hostvars())
    named = hostvars(vps={"wireguard_exit_probe_address": "203.0.113.7"})
    assert verify_exit_probes(fleet("vpn.example.net"), named)["laptop"][0]["expected"] == ["203.0.113.7"]


def test_no_url_no_probe_and_an_empty_url_is_not_set():
    assert all(value == [] for value in verify_exit_probes(fleet("vpn.example.net"), {}).values())
    unset = {name: {"wireguard_exit_probe_url": ""} for name in HOSTS}
    assert all(value == [] for value in verify_exit_probes(fleet("vpn.example.net"), unset).values())


@pytest.mark.parametrize("value", ["203.0.113", "vpn.example.net", 7, {"a": 1}, ["203.0.113.7", "x"],
                                   "203.0.113.7\n", "fe80::1%eth0"])
def test_a_bad_address_is_refused_naming_the_gateway_and_the_variable(value):
    with pytest.raises(AnsibleFilterError, match=r"^verify_exit_probes: host 'vps': wireguard_exit_probe_address"):
        verify_exit_probes(fleet(), hostvars(vps={"wireguard_exit_probe_address": value}))


def test_a_bad_url_is_refused_wherever_it_is_set_naming_the_host():
    with pytest.raises(AnsibleFilterError, match=r"^verify_exit_probes: host 'desktop': wireguard_exit_probe_url "
                                                 r"'ftp://x/ip' must start with http:// or https://"):
        verify_exit_probes(fleet(), hostvars(desktop={"wireguard_exit_probe_url": "ftp://x/ip"}))


def test_not_a_fleet_or_hostvars_is_an_error_of_the_filter():
    with pytest.raises(AnsibleFilterError, match="hostvars must map"):
        verify_exit_probes(fleet(), ["laptop"])
    with pytest.raises(AnsibleFilterError, match="not a fleet"):
        verify_exit_probes({"hosts": {"laptop": {}}}, hostvars())


# The URL check, class by class of bad input.
GOOD = ["https://ifconfig.me/ip", "http://198.18.69.100:8000/ip", "https://[2001:db8::1]/", "http://ip.example",
        "https://api.example.net/v1/ip?format=text&family=4", "https://a.example/%7Euser/ip", "http://x.example:1/"]
BAD = {
    "https://ifconfig.me/ip\n": "control characters", "https://ifconfig.me/\u200bip": "control characters",
    "https://ifconfig.me/ ip": "spaces", "ifconfig.me/ip": "must start with http", "HTTPS://ifconfig.me": "must start",
    "file:///etc/passwd": "must start", "https://user:secret@ifconfig.me/ip": "user or password",
    "https://ifconfig.me/ip#x": "fragment", "https://ifconfig.me:0/": "port 0", "https://ifconfig.me:65536/": "port",
    "https://ifconfig.me:/": "is not an http", "https:///ip": "is not an http", "https://-x.example/": "host",
    "https://300.1.1.1/": "host", "https://[10.0.0.1]/": "not an IPv6", "https://[fe80::1%25eth0]/": "is not an http",
    "https://ifconfig.me/ip%zz": "is not an http", "https://ifconfig.me/<ip>": "is not an http",
    "https://ifconfig.me/" + "a" * 2048: "longer than",
}


@pytest.mark.parametrize("value", GOOD)
def test_good_urls_pass(value):
    assert probe_url_problem(value) == ""


@pytest.mark.parametrize("value,why", sorted(BAD.items()))
def test_each_class_of_bad_url_is_refused_with_its_reason(value, why):
    assert why in probe_url_problem(value), value


LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
HOST = st.one_of(st.builds(".".join, st.lists(LABEL, min_size=1, max_size=3)).filter(is_hostname),
                 st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(lambda a: "[%s]" % a))
PATH = st.lists(st.from_regex(r"[A-Za-z0-9._~-]{0,8}", fullmatch=True), max_size=3).map(
    lambda parts: "".join("/" + part for part in parts))
VALID = st.builds(lambda scheme, host, port, path: "%s://%s%s%s" % (scheme, host, port, path),
                  st.sampled_from(["http", "https"]), HOST,
                  st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: ":%d" % p)), PATH)
CONTROL = st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp"))


@settings(max_examples=150, deadline=None)
@given(VALID)
def test_every_url_built_of_valid_parts_passes(url):
    assert probe_url_problem(url) == "", url


@settings(max_examples=150, deadline=None)
@given(VALID, CONTROL, st.integers(min_value=0))
def test_a_control_character_anywhere_is_refused(url, char, where):
    where %= len(url) + 1
    assert "control characters" in probe_url_problem(url[:where] + char + url[where:])


@settings(max_examples=100, deadline=None)
@given(VALID, st.text(alphabet="abcdefghijklmnopqrstuvwxyz+.-", min_size=1, max_size=8))
def test_any_other_scheme_is_refused(url, scheme):
    assume(scheme not in ("http", "https"))
    assert probe_url_problem(scheme + url[url.index("://"):]) == "must start with http:// or https://"


@settings(max_examples=100, deadline=None)
@given(VALID, st.from_regex(r"[A-Za-z0-9._~%:-]{0,10}", fullmatch=True))
def test_credentials_and_fragments_are_refused(url, text):
    scheme, rest = url.split("://", 1)
    assert "user or password" in probe_url_problem("%s://%s@%s" % (scheme, text, rest))
    assert "fragment" in probe_url_problem(url + "#" + text)


@settings(max_examples=100, deadline=None)
@given(VALID, st.one_of(st.integers(65536, 10 ** 5 - 1), st.just(0)))
def test_ports_outside_1_to_65535_are_refused(url, port):
    scheme, rest = url.split("://", 1)
    host = re.match(r"\[[^\]]+\]|[^/:]+", rest).group(0)
    assert probe_url_problem("%s://%s:%d/" % (scheme, host, port)) == "port %d is not 1-65535" % port


@settings(max_examples=100, deadline=None)
@given(VALID, st.text(alphabet=" \t<>\"{}|\\^`", min_size=1, max_size=3), st.integers(min_value=0))
def test_spaces_and_characters_outside_rfc_3986_are_refused(url, bad, where):
    where = len("https://") + where % (len(url) - len("https://") + 1)
    assert probe_url_problem(url[:where] + bad + url[where:]) != ""


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=2),
                 st.binary(max_size=10)))
def test_anything_is_either_a_clean_http_url_or_refused_with_a_reason(value):
    problem = probe_url_problem(value)
    assert isinstance(problem, str)
    if not problem:
        assert isinstance(value, str) and re.fullmatch(r"https?://[^\s#@]+", value), value


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.lists(st.text(max_size=10), max_size=2)))
def test_the_filter_refuses_every_bad_url_naming_the_laptop_and_the_variable(value):
    assume(value != "" and probe_url_problem(value))
    with pytest.raises(AnsibleFilterError, match=r"^verify_exit_probes: host 'laptop': wireguard_exit_probe_url "):
        verify_exit_probes(fleet(), {"laptop": {"wireguard_exit_probe_url": value}})


# Judging the answers: registered ansible.builtin.uri results.
def probe():
    return verify_exit_probes(fleet(), hostvars(vps={"wireguard_exit_probe_address": "198.51.100.9"}))["laptop"][0]


def fetched(status, content="", msg="OK (unknown bytes)"):
    return {"item": probe(), "status": status, "content": content, "msg": msg, "changed": False}


def test_the_gateways_address_passes_whitespace_and_mapping_aside():
    for body in ("198.51.100.9", "198.51.100.9\n", " ::ffff:198.51.100.9\r\n"):
        judged = verify_exit_results([fetched(200, body)])
        assert judged == [dict(probe(), seen="198.51.100.9", ok=True, problem="")], body


def test_another_address_names_the_client_the_gateway_and_both_addresses():
    (judged,) = verify_exit_results([fetched(200, "198.18.69.20\n")])
    assert not judged["ok"] and judged["seen"] == "198.18.69.20"
    assert judged["problem"].startswith("exit probe of laptop through exit gateway vps: https://ifconfig.me/ip saw "
                                        "198.18.69.20, expected 198.51.100.9 (")
    assert "full tunnel is bypassed" in judged["problem"]


def test_no_answer_names_the_client_the_gateway_the_expected_address_and_why():
    msg = "Status code was -1 and not [200]: Request failed: <urlopen error timed out>"
    (judged,) = verify_exit_results([fetched(-1, msg=msg)])
    assert not judged["ok"] and judged["seen"] == ""
    assert judged["problem"] == (
        "exit probe of laptop through exit gateway vps: no answer from https://ifconfig.me/ip (expected to leave as "
        "198.51.100.9; %s): the gateway's NAT or forwarding, the client's route to it or the service is broken" % msg)
    (judged,) = verify_exit_results([{"item": probe(), "failed": True, "msg": "line\none\u202e"}])   # no status
    assert "(expected to leave as 198.51.100.9; line one): " in judged["problem"]


def test_a_body_that_is_no_address_is_shown_escaped_and_short():
    (judged,) = verify_exit_results([fetched(200, "<html>\x1b[2J" + "x" * 100)])
    assert not judged["ok"] and "answered '<html>\\x1b[2Jxxx" in judged["problem"]
    assert "..., not an IP address (expected 198.51.100.9)" in judged["problem"]
    assert "\x1b" not in judged["problem"]


def test_an_error_page_is_no_answer_whatever_its_body():
    (judged,) = verify_exit_results([fetched(503, "198.51.100.9", msg="Status code was 503 and not [200]")])
    assert not judged["ok"] and "https://ifconfig.me/ip answered HTTP 503 (expected to leave as" in judged["problem"]


def test_skipped_or_foreign_results_are_left_out_and_garbage_is_an_error():
    assert verify_exit_results([{"skipped": True}, "x"]) == []
    with pytest.raises(AnsibleFilterError, match="^verify_exit_results: input is not"):
        verify_exit_results([{"item": {"client": "laptop"}, "status": 200, "content": "1.2.3.4"}])


def test_the_textfile_has_one_exit_line_with_gateway_and_both_addresses():
    judged = verify_exit_results([fetched(200, "198.18.69.20")])
    text = verify_textfile([], [], [], [], [], 1100, judged)
    assert ('wirefleet_exit_probe_ok{interface="wg0",gateway="vps",expected="198.51.100.9",seen="198.18.69.20"} 0\n'
            in text)
    assert "# TYPE wirefleet_exit_probe_ok gauge\n" in text
    ok = verify_textfile([], [], [], [], [], 1100, verify_exit_results([fetched(200, "198.51.100.9")]))
    assert 'seen="198.51.100.9"} 1\n' in ok
    assert "wirefleet_exit_probe_ok" not in verify_textfile([], [], [], [], [], 1100)   # no probe: no metric
