"""Network safety filters for the shared molecule create playbook (stdlib only)."""

from __future__ import annotations

import ipaddress


def wf_subnet_within(subnet: str, supernet: str) -> bool:
    """True if subnet lies entirely inside supernet."""
    return ipaddress.ip_network(subnet, strict=False).subnet_of(
        ipaddress.ip_network(supernet, strict=False)
    )


def wf_overlapping(subnet: str, others: list[str]) -> list[str]:
    """The entries of others (CIDRs or plain addresses) that overlap subnet."""
    net = ipaddress.ip_network(subnet, strict=False)
    hits = []
    for other in others:
        try:
            o = ipaddress.ip_network(other, strict=False)
        except ValueError:
            continue
        if o.version == net.version and net.overlaps(o):
            hits.append(other)
    return hits


class FilterModule:
    def filters(self):
        return {"wf_subnet_within": wf_subnet_within, "wf_overlapping": wf_overlapping}
