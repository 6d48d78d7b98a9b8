# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduled converge's units (module_utils/schedule.py, filter schedule_units)."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.schedule_units import FilterModule
from ansible_collections.wirefleet.wireguard.plugins.module_utils.schedule import exec_argument, exec_line, units

SETTINGS = {"name": "wirefleet-converge", "user": "ops", "on_calendar": "hourly", "randomized_delay": "10min",
            "timeout": "1h", "working_directory": "/home/ops/fleet", "python": "/usr/bin/python3",
            "wrapper": "/usr/local/libexec/wirefleet-converge", "lock": "/run/lock/wirefleet-converge.lock",
            "report": "/var/lib/wirefleet/last-run.json", "ansible_playbook": "/usr/bin/ansible-playbook",
            "inventory": "/home/ops/fleet/inventory", "extra_args": [], "playbook": "/home/ops/fleet/site.yml"}


def systemd_split(value):
    """How systemd splits an ExecStart= value: double-quoted words with C escapes; %% and $$ undone."""
    words = re.findall(r'"((?:[^"\\]|\\.)*)"', value)
    return [re.sub(r"\\(.)", r"\1", word).replace("%%", "%").replace("$$", "$") for word in words]


def test_the_service_runs_the_wrapper_then_ansible_playbook():
    service = units(SETTINGS)["service"]
    exec_start = re.search(r"^ExecStart=(.*)$", service, re.M).group(1)
    assert systemd_split(exec_start) == [
        "/usr/bin/python3", "/usr/local/libexec/wirefleet-converge", "--lock", "/run/lock/wirefleet-converge.lock",
        "--report", "/var/lib/wirefleet/last-run.json", "--", "/usr/bin/ansible-playbook", "-i",
        "/home/ops/fleet/inventory", "/home/ops/fleet/site.yml"]
    for line in ("Type=oneshot", "User=ops", "WorkingDirectory=/home/ops/fleet", "SuccessExitStatus=3",
                 "TimeoutStartSec=1h"):
        assert line in service.splitlines()


def test_the_timer_is_persistent_and_randomized():
    timer = units(dict(SETTINGS, on_calendar="*:0/15", randomized_delay="2min"))["timer"].splitlines()
    assert {"OnCalendar=*:0/15", "RandomizedDelaySec=2min", "Persistent=true", "WantedBy=timers.target"} <= set(timer)


def test_extra_arguments_stay_one_argument_each_and_expand_nothing():
    extra = ["--private-key", "/home/ops/.ssh/my key", "-e", 'x="$HOME %h \\ ;"']
    exec_start = re.search(r"^ExecStart=(.*)$", units(dict(SETTINGS, extra_args=extra))["service"], re.M).group(1)
    assert systemd_split(exec_start)[10:14] == extra
    assert "$$HOME %%h" in exec_start


@given(st.text(max_size=40))
def test_any_argument_is_one_quoted_word_or_refused(text):
    try:
        quoted = exec_argument(text)
    except ValueError:
        return
    assert "\n" not in quoted and "\r" not in quoted
    assert systemd_split(quoted) == [text]


@pytest.mark.parametrize("key, value", [
    ("name", "wirefleet converge"), ("name", "../x"), ("user", "root\nExecStartPre=/bin/sh"), ("user", ""),
    ("randomized_delay", "10min\n[Service]"), ("timeout", "forever"), ("on_calendar", "hourly\nUser=root"),
    ("on_calendar", ""), ("working_directory", "relative/dir"), ("inventory", "/inv\nExecStartPre=/bin/sh"),
    ("extra_args", "--check"), ("extra_args", ["-e", "a\rb"]), ("python", "python3"),
])
def test_bad_settings_are_refused_naming_them(key, value):
    with pytest.raises(ValueError):
        units(dict(SETTINGS, **{key: value}))


def test_exec_line_needs_an_absolute_command():
    assert exec_line(["/bin/true", 3]) == '"/bin/true" "3"'
    with pytest.raises(ValueError, match="absolute path"):
        exec_line(["true"])
    with pytest.raises(ValueError, match="non-empty list"):
        exec_line([])


def test_filter_wraps_errors():
    schedule_units = FilterModule().filters()["schedule_units"]
    assert set(schedule_units(SETTINGS)) == {"service", "timer"}
    with pytest.raises(AnsibleFilterError, match="schedule_units: wireguard_schedule_user"):
        schedule_units(dict(SETTINGS, user="a b"))
    with pytest.raises(AnsibleFilterError, match="must be a mapping"):
        schedule_units("x")
