# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_exit_results
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Judge the exit probes a full-tunnel client fetched
description:
  - From the registered results of M(ansible.builtin.uri) looping over M(wirefleet.wireguard.verify_exit_probes)
    entries, whether each answer is one of the exit gateway's expected addresses (surrounding whitespace ignored,
    IPv4-mapped IPv6 read as IPv4), and a problem text naming the client, the gateway, the address the service saw
    and the expected ones (or why there was no usable answer).
options:
  _input:
    description: The registered loop results (C(item) an exit probe, C(status), C(content), C(msg)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Judge the exit probes
  ansible.builtin.set_fact:
    exit_judged: "{{ fetched.results | default([]) | wirefleet.wireguard.verify_exit_results }}"
"""

RETURN = r"""
_value:
  description: "[{client, interface, gateway, url, expected, seen, ok, problem}]"
  type: list
  elements: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import exit_results


def verify_exit_results(results):
    try:
        fetched = [{"probe": result["item"], "status": result.get("status", -1), "content": result.get("content"),
                    "msg": result.get("msg")}
                   for result in results if isinstance(result, Mapping) and "item" in result]
        return exit_results(fetched)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("verify_exit_results: input is not the registered fetch of "
                                 "wirefleet.wireguard.verify_exit_probes entries: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"verify_exit_results": verify_exit_results}
