# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install_plan filter (plugins/module_utils/platforms.py): package manager path and packages per
distribution family, from fact dicts as Ansible gathers them on those systems (gather_subset min).

Only Debian 12/13 run in molecule here; these tests are the proof of the other distributions' code paths.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.install_plan import FilterModule, install_plan

# kernel_module=yes, nothing installed yet: a fresh VM with a stock kernel.
FRESH = "kernel_module=yes\nwg=no\nwg_quick=no\nwireguard_go=no\nresolvconf=no\nresolved_active=no\n"
# A container (no module): the path the molecule scenarios take.
NO_MODULE = FRESH.replace("kernel_module=yes", "kernel_module=no")
PREINSTALLED = "kernel_module=yes\nwg=yes\nwg_quick=yes\nwireguard_go=no\nresolvconf=no\nresolved_active=no\n"
DNS = {"interfaces": {"wg0": {"dns": ["10.8.0.1"], "full_tunnel": False}}}
FULL_TUNNEL = {"interfaces": {"wg0": {"dns": [], "full_tunnel": True}}}


def facts(distribution, major, os_family, pkg_mgr, service_mgr="systemd", kernel="6.1.0-28-amd64", version=None):
    return {"distribution": distribution, "distribution_major_version": major,
            "distribution_version": version or major, "os_family": os_family, "pkg_mgr": pkg_mgr,
            "service_mgr": service_mgr, "kernel": kernel, "system": "Linux"}


DEBIAN_11 = facts("Debian", "11", "Debian", "apt", kernel="5.10.0-32-amd64", version="11.11")
DEBIAN_12 = facts("Debian", "12", "Debian", "apt", version="12.8")
DEBIAN_13 = facts("Debian", "13", "Debian", "apt", kernel="6.12.48+deb13-amd64", version="13.1")
UBUNTU_22 = facts("Ubuntu", "22", "Debian", "apt", kernel="5.15.0-125-generic", version="22.04")
UBUNTU_24 = facts("Ubuntu", "24", "Debian", "apt", kernel="6.8.0-49-generic", version="24.04")
RASPBIAN = facts("Raspbian", "12", "Debian", "apt", kernel="6.6.51+rpt-rpi-v7", version="12")
RPI_OS_64 = facts("Debian", "12", "Debian", "apt", kernel="6.6.51+rpt-rpi-v8", version="12.8")
RHEL_9 = facts("RedHat", "9", "RedHat", "dnf", kernel="5.14.0-503.14.1.el9_5.x86_64", version="9.5")
ROCKY_9 = facts("Rocky", "9", "RedHat", "dnf", kernel="5.14.0-503.14.1.el9_5.x86_64", version="9.5")
ALMA_9 = facts("AlmaLinux", "9", "RedHat", "dnf", kernel="5.14.0-503.14.1.el9_5.x86_64", version="9.5")
FEDORA_40 = facts("Fedora", "40", "RedHat", "dnf", kernel="6.11.8-200.fc40.x86_64")
FEDORA_41 = facts("Fedora", "41", "RedHat", "dnf5", kernel="6.11.8-300.fc41.x86_64")
ARCH = facts("Archlinux", "NA", "Archlinux", "pacman", kernel="6.12.1-arch1-1", version="NA")
ALPINE = facts("Alpine", "3", "Alpine", "apk", service_mgr="openrc", kernel="6.6.58-0-lts", version="3.20.3")
NIXOS = facts("NixOS", "24", "NixOS", "unknown", kernel="6.6.62", version="24.05")
VOID_RUNIT = facts("Void", "NA", "Void", "xbps", service_mgr="runit", kernel="6.6.62_1")


def plan(host_facts, probe=FRESH, **options):
    return install_plan(host_facts, probe, "vps", **options)


def error(host_facts, probe=FRESH, **options):
    with pytest.raises(AnsibleFilterError) as raised:
        plan(host_facts, probe, **options)
    message = str(raised.value)
    assert message.startswith("wireguard_install: host 'vps': "), message
    return message


# --- the apt path: Debian, Ubuntu, Raspberry Pi OS ---------------------------------------------------------

@pytest.mark.parametrize("host_facts", [DEBIAN_11, DEBIAN_12, DEBIAN_13, UBUNTU_22, UBUNTU_24, RASPBIAN, RPI_OS_64])
def test_apt_family_with_kernel_module_installs_only_the_tools(host_facts):
    result = plan(host_facts)
    assert result["package_manager"] == "apt" and result["package_module"] == "apt"
    assert result["packages"] == ["wireguard-tools"]
    assert result["userspace"] is False and result["known_platform"] is True


@pytest.mark.parametrize("host_facts", [DEBIAN_11, DEBIAN_12, DEBIAN_13, UBUNTU_22, UBUNTU_24, RASPBIAN])
def test_apt_family_without_kernel_module_adds_wireguard_go(host_facts):
    result = plan(host_facts, NO_MODULE)
    assert result["packages"] == ["wireguard-tools", "wireguard-go"] and result["userspace"] is True


def test_debian_in_a_container_is_what_the_molecule_scenarios_install():
    # The behaviour the role had before the plan: tools, wireguard-go, nftables for a full tunnel, openresolv.
    computed = {"interfaces": {"wg0": {"dns": ["10.8.0.1"], "full_tunnel": True}}}
    assert plan(DEBIAN_12, NO_MODULE, computed=computed)["packages"] == [
        "wireguard-tools", "wireguard-go", "nftables", "openresolv"]


def test_raspberry_pi_os_64_bit_reports_debian_but_is_named_by_its_kernel():
    assert plan(RPI_OS_64)["platform"] == "Raspberry Pi OS 12.8 (Debian family)"
    assert plan(RASPBIAN)["platform"] == "Raspbian 12 (Debian family)"


def test_other_apt_distributions_take_the_apt_path_but_are_not_known():
    mint = facts("Linux Mint", "21", "Debian", "apt", version="21.3")
    old_ubuntu = facts("Ubuntu", "20", "Debian", "apt", version="20.04")
    for host_facts in (mint, old_ubuntu):
        result = plan(host_facts)
        assert result["package_manager"] == "apt" and result["known_platform"] is False


# --- the dnf path: RHEL, Rocky, Alma 9 and Fedora ------------------------------------------------------------

@pytest.mark.parametrize("host_facts", [RHEL_9, ROCKY_9, ALMA_9, FEDORA_40, FEDORA_41])
def test_dnf_family_installs_the_tools_from_the_base_repositories(host_facts):
    # EL 9 carries wireguard-tools in its own repositories: no EPEL repository is added.
    result = plan(host_facts)
    assert result["package_manager"] == "dnf" and result["package_module"] == "auto"
    assert result["packages"] == ["wireguard-tools"] and result["known_platform"] is True


def test_el8_takes_the_dnf_path_but_is_not_known():
    assert plan(facts("Rocky", "8", "RedHat", "dnf"))["known_platform"] is False


def test_dnf_family_without_kernel_module_needs_wireguard_go_already_there():
    message = error(ROCKY_9, NO_MODULE)
    assert "no usable WireGuard module and wireguard-go is not installed" in message
    assert "'Rocky 9.5 (RedHat family)'" not in message and "Rocky 9.5 (RedHat family)" in message
    assert "wireguard_install_userspace_package" in message
    with_go = NO_MODULE.replace("wireguard_go=no", "wireguard_go=yes")
    assert plan(ROCKY_9, with_go)["packages"] == ["wireguard-tools"]
    assert plan(ROCKY_9, NO_MODULE, userspace_package="wireguard-go")["packages"] == ["wireguard-tools",
                                                                                      "wireguard-go"]


def test_dnf_family_resolvconf_is_systemd_resolved():
    assert plan(FEDORA_41, computed=DNS)["packages"] == ["wireguard-tools", "systemd-resolved"]
    assert plan(RHEL_9, computed=DNS)["packages"] == ["wireguard-tools", "systemd-resolved"]


# --- the pacman path: Arch ----------------------------------------------------------------------------------

def test_arch_takes_the_pacman_path():
    result = plan(ARCH, NO_MODULE, computed=FULL_TUNNEL)
    assert result["package_manager"] == "pacman" and result["package_module"] == "auto"
    assert result["packages"] == ["wireguard-tools", "wireguard-go", "nftables"] and result["known_platform"]


def test_arch_resolvconf_follows_systemd_resolved():
    assert plan(ARCH, computed=DNS)["packages"] == ["wireguard-tools", "openresolv"]
    resolved = FRESH.replace("resolved_active=no", "resolved_active=yes")
    assert plan(ARCH, resolved, computed=DNS)["packages"] == ["wireguard-tools", "systemd-resolvconf"]


# --- resolvconf -------------------------------------------------------------------------------------------------

def test_resolvconf_only_when_dns_is_set_and_none_is_installed():
    assert plan(DEBIAN_12)["packages"] == ["wireguard-tools"]
    assert plan(DEBIAN_12, computed=DNS)["packages"] == ["wireguard-tools", "openresolv"]
    present = FRESH.replace("resolvconf=no", "resolvconf=yes")
    assert plan(DEBIAN_12, present, computed=DNS)["packages"] == ["wireguard-tools"]
    assert plan(DEBIAN_12, resolvconf="always")["packages"] == ["wireguard-tools", "openresolv"]
    assert plan(DEBIAN_12, computed=DNS, resolvconf="never")["packages"] == ["wireguard-tools"]


def test_resolvconf_where_systemd_resolved_runs():
    resolved = FRESH.replace("resolved_active=no", "resolved_active=yes")
    # Debian 12+ and Ubuntu 24.04 package systemd-resolved, which provides resolvconf.
    assert plan(DEBIAN_12, resolved, computed=DNS)["packages"][-1] == "systemd-resolved"
    assert plan(UBUNTU_24, resolved, computed=DNS)["packages"][-1] == "systemd-resolved"
    # Ubuntu 22.04 has resolved inside systemd: no such package, openresolv it is.
    assert plan(UBUNTU_22, resolved, computed=DNS)["packages"][-1] == "openresolv"


def test_resolvconf_package_override():
    assert plan(DEBIAN_12, computed=DNS, resolvconf_package="resolvconf")["packages"][-1] == "resolvconf"


# --- hosts with wg already there, and forced paths -------------------------------------------------------------

def test_unknown_systemd_distribution_with_wg_installs_nothing():
    result = plan(NIXOS, PREINSTALLED)
    assert result["package_manager"] == "none" and result["packages"] == [] and result["package_module"] == "none"


def test_unknown_systemd_distribution_without_wg_is_one_clear_error():
    message = error(NIXOS)
    assert "NixOS 24.05" in message and "package manager is 'unknown'" in message
    assert "wg and wg-quick are not installed" in message and "Install wireguard-tools" in message


def test_forced_none_installs_nothing_where_the_tools_are():
    result = plan(DEBIAN_12, PREINSTALLED, package_manager="none")
    assert result["package_manager"] == "none" and result["packages"] == []


def test_forced_none_says_what_is_missing():
    assert "wg, wg-quick are missing" in error(DEBIAN_12, package_manager="none")
    message = error(DEBIAN_12, PREINSTALLED.replace("kernel_module=yes", "kernel_module=no"),
                    package_manager="none", computed=DNS)
    assert "wireguard-go, resolvconf are missing" in message
    assert "needs wireguard-go" in message and "applies with resolvconf" in message


def test_forced_path_against_the_pkg_mgr_fact_names_the_module():
    assert plan(NIXOS, package_manager="dnf")["package_module"] == "dnf"
    assert plan(NIXOS, package_manager="pacman")["package_module"] == "pacman"
    assert plan(NIXOS, package_manager="apt")["package_module"] == "apt"


def test_unknown_forced_path_is_an_error():
    assert "must be one of auto, apt, dnf, pacman, none" in error(DEBIAN_12, package_manager="yum")


# --- no systemd --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("probe", [FRESH, PREINSTALLED])
def test_alpine_openrc_is_refused_even_with_wg(probe):
    message = error(ALPINE, probe)
    assert "Alpine 3.20.3" in message and "uses 'openrc' as its service manager" in message
    assert "needs systemd" in message and "wg-quick@<interface>" in message


def test_no_service_manager_fact_is_refused():
    assert "uses None as its service manager" in error({"distribution": "Debian", "pkg_mgr": "apt"})
    assert "'runit'" in error(VOID_RUNIT)


# --- implementation --------------------------------------------------------------------------------------------

def test_forced_implementation_overrides_the_probe():
    assert plan(DEBIAN_12, NO_MODULE, implementation="kernel")["userspace"] is False
    assert plan(DEBIAN_12, FRESH, implementation="userspace")["packages"] == ["wireguard-tools", "wireguard-go"]


def test_an_empty_probe_means_nothing_found():
    assert plan(DEBIAN_12, "")["userspace"] is True
    assert "wg and wg-quick are not installed" in error(NIXOS, "garbage\nwg==yes\n")


# --- overrides and hostile values ---------------------------------------------------------------------------------

def test_package_lists_override_and_deduplicate():
    result = plan(DEBIAN_12, NO_MODULE, computed=FULL_TUNNEL, packages=["wireguard-tools", "wireguard-go"],
                  full_tunnel_packages=["iptables"])
    assert result["packages"] == ["wireguard-tools", "wireguard-go", "iptables"]
    # "": the user brings wireguard-go; fine where it is there, an error where it is not.
    with_go = NO_MODULE.replace("wireguard_go=no", "wireguard_go=yes")
    assert plan(DEBIAN_12, with_go, userspace_package="")["packages"] == ["wireguard-tools"]
    assert "no wireguard-go package to install on the apt path" in error(DEBIAN_12, NO_MODULE, userspace_package="")


@pytest.mark.parametrize("name", ["-oAPT::Get::AllowUnauthenticated=true", "wireguard-tools\nevil", "a b", "", "x;y"])
def test_hostile_package_names_are_refused(name):
    if name == "":
        assert plan(DEBIAN_12, packages=[name])["packages"] == []
        return
    assert "is not a package name" in error(DEBIAN_12, packages=[name])


def test_a_string_is_not_a_package_list():
    assert "must be a list of package names" in error(DEBIAN_12, packages="wireguard-tools")


def test_hostile_facts_are_escaped_in_messages():
    message = error(facts("Evil\nDistro", "1", "Evil", "weird\npkg"))
    assert "\n" not in message and "\\n" in message


def test_bad_modes_are_errors():
    with pytest.raises(AnsibleFilterError, match="wireguard_install_resolvconf must be one of"):
        plan(DEBIAN_12, resolvconf="sometimes")
    with pytest.raises(AnsibleFilterError, match="wireguard_install_implementation must be one of"):
        plan(DEBIAN_12, implementation="both")


def test_filter_is_registered():
    assert FilterModule().filters()["install_plan"] is install_plan


# --- the role hands the filter every setting the user has ------------------------------------------------------

def test_the_role_passes_every_install_variable_to_the_plan():
    import os
    import yaml
    from ansible_collections.wirefleet.wireguard.plugins.module_utils.platforms import PATHS
    role = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "wireguard_install")
    with open(os.path.join(role, "tasks", "detect.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    with open(os.path.join(role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    expression = next(task["ansible.builtin.set_fact"]["__wireguard_install_plan"] for task in tasks
                      if "__wireguard_install_plan" in task.get("ansible.builtin.set_fact", {}))
    # The apt cache settings go to the apt task itself; every other setting shapes the plan.
    for name in set(options) - {"wireguard_install_update_cache", "wireguard_install_cache_valid_time"}:
        assert "=%s" % name in expression.replace(" ", ""), name
    assert options["wireguard_install_package_manager"]["choices"] == ["auto"] + list(PATHS)
