# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduled converge's systemd units, from the operator's settings.

Every value that reaches a unit file is checked here: a newline would start a directive of its own (an
ExecStartPre= runs as the unit's user), so control characters are refused, and ExecStart= arguments are quoted
the way systemd reads them (double quotes, backslash escapes, `%` and `$` doubled so no specifier or variable is
expanded).
"""

from __future__ import annotations

import re

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters

UNIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
TIME_SPAN = re.compile(r"[0-9]+ ?(us|ms|s|sec|m|min|h|hr|d|w)?( ?[0-9]+ ?(us|ms|s|sec|m|min|h|hr|d|w)?)*")


def _refuse(what, value, rule):
    raise ValueError("%s %r is not %s" % (what, value, rule))


def _line(what, value):
    """One line of text for a unit file: no control characters, not empty."""
    if not isinstance(value, str) or not value.strip() or control_characters(value):
        _refuse(what, value, "one line of text without control characters")
    return value


def exec_argument(value):
    """One ExecStart= argument, quoted for systemd: "..." with \\ and " escaped, % and $ doubled."""
    text = _line("argument", value)
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")


def exec_line(argv):
    """An ExecStart= value running argv exactly (the first item an absolute path)."""
    if not isinstance(argv, (list, tuple)) or not argv:
        _refuse("command", argv, "a non-empty list of arguments")
    if not isinstance(argv[0], str) or not argv[0].startswith("/"):
        _refuse("command", argv[0], "an absolute path")
    return " ".join(exec_argument(str(item) if isinstance(item, (int, float)) and not isinstance(item, bool)
                                  else item) for item in argv)


def converge_command(settings):
    """The argv the service runs: the wrapper, its lock and report, then ansible-playbook and its arguments."""
    extra = settings.get("extra_args") or []
    if not isinstance(extra, (list, tuple)):
        _refuse("wireguard_schedule_extra_args", extra, "a list of arguments")
    return [settings["python"], settings["wrapper"], "--lock", settings["lock"], "--report", settings["report"], "--",
            settings["ansible_playbook"], "-i", settings["inventory"], *extra, settings["playbook"]]


def units(settings):
    """{"service": text, "timer": text} for the scheduled converge; ValueError naming the bad setting."""
    name = settings.get("name")
    if not isinstance(name, str) or not UNIT_NAME.fullmatch(name):
        _refuse("wireguard_schedule_name", name, "a unit name (letters, digits, _ . -)")
    user = settings.get("user")
    if not isinstance(user, str) or not USER_NAME.fullmatch(user):
        _refuse("wireguard_schedule_user", user, "a user name")
    delay = settings.get("randomized_delay")
    if not isinstance(delay, str) or not TIME_SPAN.fullmatch(delay):
        _refuse("wireguard_schedule_randomized_delay", delay, "a systemd time span such as 10min")
    timeout = settings.get("timeout")
    if not isinstance(timeout, str) or not TIME_SPAN.fullmatch(timeout):
        _refuse("wireguard_schedule_timeout", timeout, "a systemd time span such as 1h")
    calendar = _line("wireguard_schedule_on_calendar", settings.get("on_calendar"))
    workdir = _line("wireguard_schedule_working_directory", settings.get("working_directory"))
    if not workdir.startswith("/"):
        _refuse("wireguard_schedule_working_directory", workdir, "an absolute path")
    command = exec_line(converge_command(settings))
    service = "\n".join([
        "# Managed by wirefleet.wireguard (schedule role); local edits are overwritten.",
        "[Unit]",
        "Description=wirefleet: converge the WireGuard fleet (%s)" % name,
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        "User=%s" % user,
        "WorkingDirectory=%s" % workdir.replace("%", "%%"),
        "Environment=ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PYTHONUNBUFFERED=1",
        "ExecStart=%s" % command,
        "# 3: drift found and repaired; 0: no drift; anything else: failed",
        "SuccessExitStatus=3",
        "TimeoutStartSec=%s" % timeout,
        "",
    ])
    timer = "\n".join([
        "# Managed by wirefleet.wireguard (schedule role); local edits are overwritten.",
        "[Unit]",
        "Description=wirefleet: converge the WireGuard fleet on a schedule (%s)" % name,
        "",
        "[Timer]",
        "OnCalendar=%s" % calendar,
        "RandomizedDelaySec=%s" % delay,
        "# a run missed while the controller was off happens at its next boot",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])
    return {"service": service, "timer": timer}
