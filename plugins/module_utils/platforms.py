# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the install role installs on a host, and with which package manager: a pure plan from facts.

Input: the host's Ansible facts, what the role's probe found on the host (wg, wg-quick, wireguard-go,
resolvconf, a usable kernel module, systemd-resolved running) and what the fleet needs there (userspace,
DNS, full tunnel). Output: one of the package manager paths apt, dnf, pacman or none, and the packages.
A host that cannot run wirefleet (no systemd; no package manager we know and no wg-quick) is one error
naming the host, what was found and what is needed. Runs on the controller (filter install_plan);
standard library only all the same.
"""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import is_name, is_safe_text

PATHS = ("apt", "dnf", "pacman", "none")
IMPLEMENTATIONS = ("auto", "kernel", "userspace")
RESOLVCONF_MODES = ("auto", "always", "never")

# pkg_mgr fact -> path. Fedora 41 reports dnf5; ansible.builtin.package picks the module from the fact.
_PATH_OF_PKG_MGR = {"apt": "apt", "dnf": "dnf", "dnf5": "dnf", "pacman": "pacman"}
# The module ansible.builtin.package should use when a path is forced against the pkg_mgr fact.
_MODULE_OF_PATH = {"dnf": "dnf", "pacman": "pacman"}

# Per path: the userspace implementation's package (None: the distributions of that path ship none:
# Fedora and EL 9 kernels have WireGuard built in) and resolvconf providers. systemd-resolved's
# resolvconf only works while systemd-resolved runs, so it is chosen where that service is active.
_USERSPACE_PACKAGE = {"apt": "wireguard-go", "dnf": None, "pacman": "wireguard-go"}
_RESOLVCONF_PACKAGE = {"apt": "openresolv", "dnf": "systemd-resolved", "pacman": "openresolv"}
_RESOLVED_RESOLVCONF_PACKAGE = {"apt": "systemd-resolved", "dnf": "systemd-resolved", "pacman": "systemd-resolvconf"}
# Ubuntu ships systemd-resolved inside systemd before 23.04: no package of that name to install there.
_UBUNTU_RESOLVED_SPLIT = 23

# Distributions whose package names were checked for their path (the README's matrix). Others with one of
# these package managers take the same path under the same names; the plan says whether the platform is known.
_KNOWN_PLATFORMS = {
    "Debian": ("apt", ("11", "12", "13")),
    "Ubuntu": ("apt", ("22", "24")),
    "Raspbian": ("apt", ("11", "12", "13")),
    "Raspberry Pi OS": ("apt", ("11", "12", "13")),
    "RedHat": ("dnf", ("9",)),
    "Rocky": ("dnf", ("9",)),
    "AlmaLinux": ("dnf", ("9",)),
    "CentOS": ("dnf", ("9",)),
    "Fedora": ("dnf", None),
    "Archlinux": ("pacman", None),
}

PROBE_KEYS = ("kernel_module", "wg", "wg_quick", "wireguard_go", "resolvconf", "resolved_active")


class PlatformError(Exception):
    """The host cannot get WireGuard this way; the message names host, what was found and what is needed."""


def parse_probe(text):
    """The probe script's `key=yes|no` lines as {key: bool}; keys it did not print are False."""
    found = dict.fromkeys(PROBE_KEYS, False)
    for line in str(text or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key in found:
            found[key] = value.strip() == "yes"
    return found


def needs_from_fleet(computed, resolvconf_mode, implementation):
    """What the fleet asks of this host: {'dns': bool, 'full_tunnel': bool, 'implementation': str}."""
    if resolvconf_mode not in RESOLVCONF_MODES:
        raise PlatformError("wireguard_install_resolvconf must be one of %s" % ", ".join(RESOLVCONF_MODES))
    if implementation not in IMPLEMENTATIONS:
        raise PlatformError("wireguard_install_implementation must be one of %s" % ", ".join(IMPLEMENTATIONS))
    interfaces = list(((computed or {}).get("interfaces") or {}).values())
    wants_dns = any(interface.get("dns") for interface in interfaces)
    return {
        "dns": resolvconf_mode == "always" or (resolvconf_mode == "auto" and wants_dns),
        "full_tunnel": any(interface.get("full_tunnel") for interface in interfaces),
        "implementation": implementation,
    }


def install_plan(host, facts, probe, needs, overrides=None):
    """The plan for one host.

    facts: ansible_facts (distribution, distribution_major_version, os_family, pkg_mgr, service_mgr, kernel).
    probe: parse_probe's dict. needs: needs_from_fleet's dict. overrides: user variables, None meaning
    the path's own choice: package_manager (auto or a path), packages, userspace_package, resolvconf_package,
    full_tunnel_packages.
    Returns {package_manager, package_module, packages, userspace, platform, known_platform}.
    """
    overrides = overrides or {}
    facts = facts or {}
    platform = _platform_label(facts)
    _require_systemd(host, facts, platform)
    path = _choose_path(host, facts, probe, overrides.get("package_manager") or "auto", platform)
    userspace = _uses_userspace(needs["implementation"], probe)
    if path == "none":
        _require_preinstalled(host, probe, needs, userspace, platform)
        packages = []
    else:
        packages = _packages(host, path, facts, probe, needs, userspace, overrides, platform)
    return {
        "package_manager": path,
        "package_module": _package_module(path, facts),
        "packages": packages,
        "userspace": userspace,
        "platform": platform,
        "known_platform": _is_known(facts, path),
    }


def _require_systemd(host, facts, platform):
    service_mgr = facts.get("service_mgr")
    if service_mgr != "systemd":
        raise PlatformError(
            "host %s: cannot run WireGuard here: %s uses %s as its service manager; wirefleet needs systemd "
            "(every interface runs as a wg-quick@<interface> unit)" % (_shown(host), platform, _shown(service_mgr)))


def _choose_path(host, facts, probe, forced, platform):
    if forced not in ("auto",) + PATHS:
        raise PlatformError("host %s: wireguard_install_package_manager is %s; it must be one of auto, %s"
                            % (_shown(host), _shown(forced), ", ".join(PATHS)))
    if forced != "auto":
        return forced
    path = _PATH_OF_PKG_MGR.get(facts.get("pkg_mgr"))
    if path:
        return path
    if probe.get("wg") and probe.get("wg_quick"):
        return "none"
    raise PlatformError(
        "host %s: cannot install WireGuard on %s: its package manager is %s, which wirefleet does not know "
        "(apt, dnf, pacman), and wg and wg-quick are not installed. Install wireguard-tools (wg, wg-quick) "
        "yourself, then run again: wirefleet installs nothing there and goes on"
        % (_shown(host), platform, _shown(facts.get("pkg_mgr"))))


def _uses_userspace(implementation, probe):
    if implementation == "auto":
        return not probe.get("kernel_module")
    return implementation == "userspace"


def _require_preinstalled(host, probe, needs, userspace, platform):
    missing = [tool for tool, present in (("wg", probe.get("wg")), ("wg-quick", probe.get("wg_quick")),
                                          ("wireguard-go", not userspace or probe.get("wireguard_go")),
                                          ("resolvconf", not needs["dns"] or probe.get("resolvconf")))
               if not present]
    if missing:
        raise PlatformError(
            "host %s: wireguard_install_package_manager is none on %s, so wirefleet installs nothing there, but "
            "%s %s missing (%s). Install %s, or let wirefleet install it with a package manager path"
            % (_shown(host), platform, ", ".join(missing), "is" if len(missing) == 1 else "are",
               _why_needed(userspace, needs), "it" if len(missing) == 1 else "them"))


def _why_needed(userspace, needs):
    reasons = ["wg and wg-quick run every interface"]
    if userspace:
        reasons.append("the kernel has no WireGuard, so wg-quick needs wireguard-go")
    if needs["dns"]:
        reasons.append("an interface sets DNS, which wg-quick applies with resolvconf")
    return "; ".join(reasons)


def _packages(host, path, facts, probe, needs, userspace, overrides, platform):
    packages = _package_list(host, "wireguard_install_packages", _override(overrides, "packages", ["wireguard-tools"]))
    if userspace:
        packages.append(_userspace_package(host, path, probe, overrides, platform))
    if needs["full_tunnel"]:
        packages.extend(_package_list(host, "wireguard_install_full_tunnel_packages",
                                      _override(overrides, "full_tunnel_packages", ["nftables"])))
    if needs["dns"] and not probe.get("resolvconf"):
        packages.append(_override(overrides, "resolvconf_package", _resolvconf_package(path, facts, probe)))
    unique = [name for index, name in enumerate(packages) if name and name not in packages[:index]]
    for name in unique:
        _check_package_name(host, name)
    return unique


def _package_list(host, variable, value):
    # A string here would be split into one-letter "packages": only a list of names is a list.
    if not isinstance(value, (list, tuple)):
        raise PlatformError("host %s: %s must be a list of package names, not %s"
                            % (_shown(host), variable, _shown(value)))
    return list(value)


def _override(overrides, key, default):
    value = overrides.get(key)
    return default if value is None else value


def _userspace_package(host, path, probe, overrides, platform):
    package = _override(overrides, "userspace_package", _USERSPACE_PACKAGE[path])
    if package:
        return package
    if probe.get("wireguard_go"):
        return ""
    raise PlatformError(
        "host %s: the kernel of %s has no usable WireGuard module and wireguard-go is not installed; there is "
        "no wireguard-go package to install on the %s path. Load the wireguard module (it is in the stock "
        "kernels of this family), install wireguard-go yourself, or name its package in "
        "wireguard_install_userspace_package"
        % (_shown(host), platform, path))


def _resolvconf_package(path, facts, probe):
    if probe.get("resolved_active") and _resolved_is_a_package(path, facts):
        return _RESOLVED_RESOLVCONF_PACKAGE[path]
    return _RESOLVCONF_PACKAGE[path]


def _resolved_is_a_package(path, facts):
    if path != "apt" or facts.get("distribution") != "Ubuntu":
        return True
    major = str(facts.get("distribution_major_version", ""))
    return major.isdigit() and int(major) >= _UBUNTU_RESOLVED_SPLIT


def _check_package_name(host, name):
    # Package names become arguments of apt-get/dnf/pacman: a leading '-' would read as an option.
    if not is_name(name):
        raise PlatformError("host %s: package name %s is not a package name (letters, digits, _ . -, starting "
                            "and ending with a letter or digit)" % (_shown(host), _shown(name)))


def _package_module(path, facts):
    if path in ("apt", "none"):
        return path
    if _PATH_OF_PKG_MGR.get(facts.get("pkg_mgr")) == path:
        return "auto"
    return _MODULE_OF_PATH[path]


def _is_known(facts, path):
    known = _KNOWN_PLATFORMS.get(_distribution(facts))
    if not known or known[0] != path:
        return False
    versions = known[1]
    return versions is None or str(facts.get("distribution_major_version")) in versions


def _distribution(facts):
    distribution = facts.get("distribution")
    # Raspberry Pi OS (64-bit) reports itself as Debian; its kernels are named +rpt / -rpi.
    kernel = str(facts.get("kernel", ""))
    if distribution == "Debian" and ("+rpt" in kernel or "-rpi" in kernel):
        return "Raspberry Pi OS"
    return distribution


def _platform_label(facts):
    distribution = _distribution(facts) or "an unknown distribution"
    version = facts.get("distribution_version") or facts.get("distribution_major_version") or ""
    family = facts.get("os_family")
    label = ("%s %s" % (distribution, version)).strip()
    if family and family != distribution:
        label += " (%s family)" % family
    return _shown(label) if not is_safe_text(label) else label


def _shown(value):
    """A fact or variable inside a message: quoted, control characters escaped (facts come from the host)."""
    return repr(value) if not isinstance(value, str) or not is_safe_text(value) else "'%s'" % value
