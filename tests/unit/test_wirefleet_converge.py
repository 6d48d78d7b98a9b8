# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wrapper the scheduled service runs (roles/wireguard_schedule/files/wirefleet-converge), run for real
with a stand-in for ansible-playbook that writes the report site.yml would write."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys

import pytest

WRAPPER = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "wireguard_schedule", "files",
                       "wirefleet-converge")

# Writes the report it is told to (the last -e, as the wrapper adds it) with the given result, exits with rc.
FAKE_PLAYBOOK = r"""
import json, sys
result, rc = sys.argv[1], int(sys.argv[2])
target = json.loads(sys.argv[-1])["wireguard_run_report"]
if result != "none":
    hosts = {"vps": {"status": "drift" if result == "drift repaired" else "ok", "line": "vps: changed - wg0"},
             "laptop": {"status": "ok", "line": "laptop: unchanged - wg0"}}
    with open(target, "w") as handle:
        json.dump({"result": result, "hosts": hosts, "counts": {"drift": 1, "ok": 1, "unchecked": 0}}, handle)
print("PLAY RECAP (stand-in)")
sys.exit(rc)
"""


def converge(tmp_path, result, rc=0, lock=None):
    fake = tmp_path / "fake_playbook.py"
    fake.write_text(FAKE_PLAYBOOK)
    command = [sys.executable, WRAPPER, "--lock", str(lock or tmp_path / "lock"), "--report",
               str(tmp_path / "state" / "last-run.json"), "--", sys.executable, str(fake), result, str(rc)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, proc.stdout, lines


@pytest.mark.parametrize("result, rc, status, says", [
    ("no drift", 0, 0, "no drift"),
    ("drift repaired", 0, 3, "drift repaired"),
    ("failed", 0, 1, "failed"),          # a host failed: site.yml's report says so even when ansible exits 0
    ("no drift", 2, 2, "failed"),        # ansible failed: its status, whatever the report says
    ("none", 0, 1, "failed"),            # no report written: the run stopped before its end
    ("garbage", 0, 1, "failed"),
])
def test_exit_status_and_run_line(tmp_path, result, rc, status, says):
    code, stdout, lines = converge(tmp_path, result, rc)
    assert code == status, stdout
    assert "PLAY RECAP (stand-in)" in stdout          # ansible's own output goes to the journal as it is
    assert lines[-1]["wirefleet"] == "run" and lines[-1]["result"] == says and lines[-1]["ansible_rc"] == rc


def test_one_json_line_per_host(tmp_path):
    _code, _stdout, lines = converge(tmp_path, "drift repaired")
    assert lines[:2] == [{"wirefleet": "host", "host": "laptop", "status": "ok", "line": "laptop: unchanged - wg0"},
                         {"wirefleet": "host", "host": "vps", "status": "drift", "line": "vps: changed - wg0"}]


def test_a_report_left_by_an_earlier_run_never_counts(tmp_path):
    converge(tmp_path, "no drift")
    code, _stdout, lines = converge(tmp_path, "none")
    assert code == 1 and lines[-1]["result"] == "failed"


def test_a_second_run_while_one_holds_the_lock_does_nothing(tmp_path):
    lock = tmp_path / "busy.lock"
    with open(lock, "a", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, stdout, lines = converge(tmp_path, "no drift", lock=lock)
    assert code == 75 and lines == [{"wirefleet": "run", "result": "busy", "lock": str(lock)}]
    assert "PLAY RECAP" not in stdout
    assert converge(tmp_path, "no drift", lock=lock)[0] == 0


def test_no_command_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, WRAPPER, "--lock", str(tmp_path / "l")], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2 and "no command given" in proc.stderr
