# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wg_config module's main flow in a temp directory, with `wg-quick strip` faked.

The fake strip drops hooks as the real one does, so these tests show the raw text is what is checked;
a broken or foreign config never replaces the current file; check mode shows every peer (placeholders
for keys not made yet) and never fails on a missing private key.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wirefleet.wireguard.plugins.modules import wg_config

from conftest import fake_key
from test_render_safety import interface_entry

# What the real wg-quick strip drops (it compares keys in any case): its own settings, hooks included.
HOOK_LINE = re.compile(r"^\s*(PreUp|PostUp|PreDown|PostDown|SaveConfig|Table|DNS|Address|MTU)\s*=.*$\n?", re.M | re.I)


@pytest.fixture
def strip(monkeypatch):
    """Fake `wg-quick strip`: the file without the settings wg-quick itself handles (hooks included)."""
    calls = []

    def run_command(self, args, **_kwargs):
        calls.append(args)
        with open(args[-1], encoding="utf-8") as handle:
            return 0, HOOK_LINE.sub("", handle.read()), ""
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name)
    return calls


@pytest.fixture
def run(tmp_path, capsys, strip):
    def call(entry=None, check_mode=False, diff=False, key=True, **extra):
        if key and not (tmp_path / "home0.key").exists():
            (tmp_path / "home0.key").write_text(fake_key("private of nas") + "\n")
        args = {"name": "home0", "host": "nas", "entry": entry or interface_entry(), "config_dir": str(tmp_path),
                "preshared_keys": {"home/nas--vps": fake_key("psk")},
                "_ansible_check_mode": check_mode, "_ansible_diff": diff}
        args.update(extra)
        with patch_module_args(args), pytest.raises(SystemExit):
            wg_config.main()
        return json.loads(capsys.readouterr().out)
    return call


def test_writes_the_config_0600_once(run, tmp_path, strip):
    first = run()
    assert first["changed"] is True and first["peers"] == 2 and first["skipped_peers"] == []
    path = tmp_path / "home0.conf"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert "PresharedKey = %s" % fake_key("psk") in text and "PrivateKey = %s" % fake_key("private of nas") in text
    assert strip, "wg-quick strip was not run"
    assert run()["changed"] is False
    assert [name for name in os.listdir(tmp_path) if name.startswith(".")] == []  # no check folder left


@pytest.mark.parametrize("field, value", [
    ("network", "wg0'\n[Interface]\nPostUp = touch /tmp/x\n#"),
    ("dns", ["10.8.0.1\nPostUp = touch /tmp/x"]),
    ("addresses", ["10.8.0.2/24, 10.9.0.0/16"]),
])
def test_an_injected_value_never_replaces_the_current_file(run, tmp_path, field, value):
    run()
    before = (tmp_path / "home0.conf").read_bytes()
    entry = dict(interface_entry(), **{field: value})
    result = run(entry)
    assert result["failed"] and "the current file is kept" in result["msg"], result
    assert "host 'nas', interface 'home0'" in result["msg"] and field in result["msg"]
    assert (tmp_path / "home0.conf").read_bytes() == before


@pytest.mark.parametrize("hook", ["PostUp = touch /tmp/x", "postup=touch /tmp/x"])
def test_a_hook_in_the_raw_text_is_refused_although_strip_drops_it(run, tmp_path, monkeypatch, hook):
    run()
    before = (tmp_path / "home0.conf").read_bytes()
    real_render = wg_config.render

    def with_hook(*args, **kwargs):
        return real_render(*args, **kwargs).replace("[Interface]\n", "[Interface]\n%s\n" % hook, 1)
    monkeypatch.setattr(wg_config, "render", with_hook)
    result = run()
    assert result["failed"]
    assert result["msg"] == ("wg_config: the new home0.conf carries PostUp, which wirefleet never writes; "
                             "the current file is kept")
    assert (tmp_path / "home0.conf").read_bytes() == before


def test_a_real_run_leaves_unknown_peers_out(run, tmp_path):
    entry = interface_entry()
    entry["peers"][1]["public_key"] = None
    result = run(entry)
    assert result["skipped_peers"] == ["alpha"] and result["peers"] == 1
    assert "alpha" not in (tmp_path / "home0.conf").read_text()


def test_check_mode_shows_every_peer_and_needs_no_private_key(run, tmp_path):
    entry = interface_entry()
    entry["peers"][1]["public_key"] = None
    result = run(entry, check_mode=True, diff=True, key=False)
    assert not result.get("failed"), result
    assert result["changed"] is True and not (tmp_path / "home0.conf").exists()
    after = result["diff"]["after"].splitlines()
    assert "PublicKey = <public key of alpha: unknown until it is converged>" in after
    assert any(line.startswith("# PrivateKey: not made yet") for line in after), after
    assert "PresharedKey = <hidden>" in after and fake_key("psk") not in result["diff"]["after"]
    assert result["skipped_peers"] == ["alpha"]


def test_check_mode_on_a_converged_host_changes_nothing(run):
    run()
    assert run(check_mode=True, diff=True)["changed"] is False


def test_check_mode_refuses_an_injected_value_too(run):
    result = run(dict(interface_entry(), role="hub\nPostUp = x"), check_mode=True, key=False)
    assert result["failed"] and "role" in result["msg"] and "control character" in result["msg"]


def test_a_private_key_that_is_not_a_key_is_refused_without_showing_it(run, tmp_path):
    (tmp_path / "home0.key").write_text("secret-but-not-a-key\nPostUp = x\n")
    result = run()
    assert result["failed"] and "private key" in result["msg"] and "secret-but" not in result["msg"]
    assert not (tmp_path / "home0.conf").exists()


def test_an_interface_name_that_is_no_interface_is_refused(run, tmp_path):
    result = run(name="../home0")
    assert result["failed"] and "not an interface name" in result["msg"]


def test_the_raw_text_is_checked_even_without_validate(run, tmp_path, strip, monkeypatch):
    real_render = wg_config.render
    monkeypatch.setattr(wg_config, "render", lambda *args, **kwargs: real_render(*args, **kwargs) + "PostDown = x\n")
    result = run(validate=False)
    assert result["failed"] and "carries PostDown" in result["msg"] and not strip
    assert not (tmp_path / "home0.conf").exists()


HAND_MADE = ("[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = %s\nPreUp = sysctl -w net.ipv4.ip_forward=1\n"
             "PostUp = iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n"
             "PostDown = iptables -t nat -D POSTROUTING -o %%i -j MASQUERADE\nPostDown = ip link del %%i\n"
             "\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.0/24\n" % (fake_key("private of nas"), fake_key("x")))


@pytest.fixture
def hooks(monkeypatch, strip):
    """Records what a takeover runs through bash (and fakes wg-quick strip as before)."""
    ran = []
    faked = AnsibleModule.run_command

    def run_command(self, args, **kwargs):
        if args[0].endswith("bash"):
            ran.append(args[2])
            return (1, "", "no such rule") if "fail" in args[2] else (0, "", "")
        return faked(self, args, **kwargs)
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    return ran


def test_a_hand_made_config_is_taken_over_without_a_restart(run, tmp_path, hooks):
    """Replacing a config wirefleet did not write keeps it beside the new one (0600), runs its down hooks once (what
    wg-quick down would have run, so its PostUp's rules go) and restarts nothing for the hooks that went away."""
    (tmp_path / "home0.conf").write_text(HAND_MADE)
    result = run()
    assert result["changed"]
    assert (tmp_path / "home0.conf.pre-wirefleet").read_text() == HAND_MADE
    assert stat.S_IMODE(os.stat(tmp_path / "home0.conf.pre-wirefleet").st_mode) == 0o600
    assert hooks == ["iptables -t nat -D POSTROUTING -o home0 -j MASQUERADE"]
    assert result["taken_over"]["hooks_left"] == ["ip link del home0"]
    assert not set(result["restart_reasons"]) & {"PreUp", "PostUp", "PostDown"}
    # the next run finds wirefleet's own file: nothing is taken over or run again
    again = run()
    assert not again["changed"] and "taken_over" not in again and len(hooks) == 1


def test_a_failing_down_hook_is_reported_not_fatal(run, tmp_path, hooks):
    (tmp_path / "home0.conf").write_text(HAND_MADE.replace("PostDown = iptables", "PostDown = fail iptables"))
    result = run()
    assert result["taken_over"]["hook_failures"] and "no such rule" in result["taken_over"]["hook_failures"][0]
    assert "Written by wirefleet.wireguard" in (tmp_path / "home0.conf").read_text()


def test_check_mode_takes_nothing_over(run, tmp_path, hooks):
    (tmp_path / "home0.conf").write_text(HAND_MADE)
    result = run(check_mode=True)
    assert result["changed"] and "taken_over" not in result and hooks == []
    assert (tmp_path / "home0.conf").read_text() == HAND_MADE
    assert not (tmp_path / "home0.conf.pre-wirefleet").exists()
