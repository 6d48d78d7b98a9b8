# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall units and script and the sysctl file take no variable that could end a line.

wireguard_firewall_dir goes into a systemd unit (ExecStart= runs as root) and a root shell script;
sysctl keys carry interface names. The templates pass them through the plain_path and one_line filters,
rendered here with Jinja2 set up as Ansible's template module sets it up (trim_blocks).
"""

from __future__ import annotations

import os

import jinja2
import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.one_line import FilterModule as OneLine
from ansible_collections.wirefleet.wireguard.plugins.filter.plain_path import FilterModule as PlainPath
from ansible_collections.wirefleet.wireguard.plugins.filter.plain_path import is_plain_path

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "roles")
FIREWALL = os.path.join(ROLES, "wireguard_firewall", "templates")
SYSCTL = os.path.join(ROLES, "wireguard_sysctl", "templates")
BAD_DIRS = ["/etc/wirefleet\nExecStartPre=/bin/touch /tmp/x", "/etc/wirefleet\r", "/etc/wire fleet", "etc/wirefleet",
            "/etc/%n", "/etc/../root", "/etc/./x", "/etc/$(touch /tmp/x)", "/etc/wf'; touch /tmp/x; '", "/etc/wf\x00",
            "/etc/wf\u2028x", "", "/"]


def environment(folder):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), trim_blocks=True, undefined=jinja2.StrictUndefined)
    for module in (OneLine(), PlainPath()):
        env.filters.update({"wirefleet.wireguard." + name: function for name, function in module.filters().items()})
    env.globals["lookup"] = lambda kind, name: env.loader.get_source(env, name)[0]
    return env


def render(folder, template, **variables):
    return environment(folder).get_template(template).render(ansible_managed="managed", **variables)


UNIT_TEMPLATES = ["wirefleet-nftables.service.j2", "wirefleet-iptables.j2"]


@pytest.mark.parametrize("template", UNIT_TEMPLATES)
def test_the_firewall_dir_reaches_the_unit_and_script(template):
    text = render(FIREWALL, template, wireguard_firewall_dir="/srv/wire-fleet_1")
    assert "/srv/wire-fleet_1" in text
    if template.endswith(".service.j2"):
        assert "ExecStart=/usr/sbin/nft -f /srv/wire-fleet_1/firewall.nft" in text.splitlines()
    else:
        assert "dir='/srv/wire-fleet_1'" in text.splitlines()


@pytest.mark.parametrize("template", UNIT_TEMPLATES)
@pytest.mark.parametrize("folder", BAD_DIRS, ids=repr)
def test_a_dir_that_is_not_a_plain_absolute_path_is_refused(template, folder):
    with pytest.raises(AnsibleFilterError, match="wireguard_firewall_dir"):
        render(FIREWALL, template, wireguard_firewall_dir=folder)


@settings(max_examples=300, deadline=None)
@given(st.text() | st.builds(lambda tail: "/etc/" + tail, st.text()))
def test_any_dir_is_refused_or_changes_no_line_count(folder):
    base = render(FIREWALL, UNIT_TEMPLATES[0], wireguard_firewall_dir="/etc/wirefleet")
    try:
        text = render(FIREWALL, UNIT_TEMPLATES[0], wireguard_firewall_dir=folder)
    except AnsibleFilterError:
        assert not is_plain_path(folder)
        return
    assert text.split("\n") == base.replace("/etc/wirefleet", folder).split("\n")
    assert len(text.split("\n")) == len(base.split("\n"))


def test_sysctl_file_one_setting_per_line():
    settings_ = {"net.ipv4.ip_forward": 1, "net.ipv4.conf.eth0.proxy_arp": 1}
    text = render(SYSCTL, "sysctl.conf.j2", __wireguard_sysctl_settings=settings_)
    assert [line for line in text.splitlines() if not line.startswith("#")] == \
        ["net.ipv4.conf.eth0.proxy_arp = 1", "net.ipv4.ip_forward = 1"]


@pytest.mark.parametrize("key, value", [
    ("net.ipv4.conf.eth0\nkernel.core_pattern = |/bin/sh.proxy_arp", 1),
    ("net.ipv4.conf.eth0 x.proxy_arp", 1),
    ("net.ipv4.conf.a=b.proxy_arp", 1),
    ("net.ipv4.ip_forward", "1\nkernel.core_pattern = |/bin/sh"),
    ("net.ipv4.ip_forward", "1\r"),
    ("net.ipv4.ip_forward", ""),
])
def test_sysctl_refuses_a_key_or_value_that_could_end_its_line(key, value):
    with pytest.raises(AnsibleFilterError, match="sysctl"):
        render(SYSCTL, "sysctl.conf.j2", __wireguard_sysctl_settings={key: value})
