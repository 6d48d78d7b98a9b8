# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_textfile
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: verify.yml's findings as a node_exporter textfile collector file
description:
  - Per expected peer (from M(wirefleet.wireguard.verify_peers)) the latest handshake time and its age, the
    transfer counters and whether it answered a ping; per LAN probe whether it answered; per exit probe of a
    full-tunnel client whether the service saw the exit gateway's address; the time of the run.
    Metric names start with C(wirefleet_); label values are escaped as the Prometheus text format requires.
options:
  _input:
    description: The expected peers of the host (M(wirefleet.wireguard.verify_peers)).
    type: list
    elements: dict
    required: true
  handshakes:
    description: Lines of C(wg show <interface> latest-handshakes) of every interface.
    type: list
    elements: str
    required: true
  transfers:
    description: Lines of C(wg show <interface> transfer) of every interface.
    type: list
    elements: str
    required: true
  pings:
    description: The registered results of the ping to each peer (C(item) an expected peer, C(rc)).
    type: list
    elements: dict
    required: true
  lan_pings:
    description: The registered results of the ping to each LAN probe (C(item) a probe, C(rc)).
    type: list
    elements: dict
    required: true
  now:
    description: Unix time of the run.
    type: int
    required: true
  exit_probes:
    description: The judged exit probes of the host (M(wirefleet.wireguard.verify_exit_results)), written as
      C(wirefleet_exit_probe_ok) with the gateway, the expected and the seen address as labels.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Write the metrics
  ansible.builtin.copy:
    content: "{{ expected | wirefleet.wireguard.verify_textfile(handshakes, transfers, pings, lan_pings, now) }}"
    dest: /var/lib/prometheus/node-exporter/wirefleet.prom
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The file's text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import textfile


def verify_textfile(expected, handshakes, transfers, pings, lan_pings, now, exit_probes=None):
    try:
        pinged = {"%s/%s" % (ping["item"]["interface"], ping["item"]["name"]): ping.get("rc") == 0 for ping in pings
                  if "item" in ping and "rc" in ping}
        lan_results = [{"address": ping["item"]["address"], "gateway": ping["item"]["gateway"],
                        "ok": ping.get("rc") == 0} for ping in lan_pings if "item" in ping and "rc" in ping]
        return textfile(expected, handshakes, transfers, pinged, lan_results, int(now), exit_probes or [])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("verify_textfile: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"verify_textfile": verify_textfile}
