#!/bin/bash
# Runs INSIDE the debootstrap chroot (called by build.sh). Not for direct use.
# Env from build.sh: SUITE, DEBIAN_MIRROR, SECURITY_MIRROR.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive

# Installed for real: what every scenario needs to boot systemd, run Ansible
# (python3, python3-apt) and verify (ping, nc, tcpdump, ss/ip, curl).
INSTALL="systemd systemd-sysv dbus python3 python3-apt iproute2 iputils-ping
         procps sudo ca-certificates netcat-openbsd tcpdump curl"
# Only cached in /var/cache/apt/archives: the roles install these offline.
# Each package is also downloaded on its own, so any subset/order a role
# uses resolves from the cache. openresolv and resolvconf conflict: both
# are cached, separately.
CACHE_ONLY="wireguard-tools wireguard-go nftables iptables"
CACHE_ALTERNATIVES="openresolv resolvconf"

# --- apt sources (deb822) and policy ---------------------------------------
rm -f /etc/apt/sources.list
cat >/etc/apt/sources.list.d/debian.sources <<SRC
Types: deb
URIs: ${DEBIAN_MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${SECURITY_MIRROR}
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

cat >/etc/apt/apt.conf.d/90wirefleet-test <<'CONF'
// wirefleet test image: the test networks are offline.
// No recommends: wireguard-tools recommends wireguard-modules (= a kernel).
APT::Install-Recommends "false";
APT::Install-Suggests "false";
// Keep every downloaded .deb (the offline cache) and never auto-clean it.
APT::Keep-Downloaded-Packages "true";
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Clean-Installed "false";
Acquire::Languages "none";
Acquire::Retries "3";
CONF

# no daemons started from maintainer scripts while in the chroot
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

apt-get update
apt-get -y dist-upgrade
# shellcheck disable=SC2086
apt-get -y install $INSTALL

# --- the offline cache --------------------------------------------------------
apt-get clean          # drop the .debs of what is installed for real
for p in $CACHE_ONLY $CACHE_ALTERNATIVES; do
    apt-get -y install --download-only "$p"
done
# shellcheck disable=SC2086
apt-get -y install --download-only $CACHE_ONLY openresolv
# shellcheck disable=SC2086
apt-get -y install --download-only $CACHE_ONLY resolvconf
# prove it: simulate from the cache only (no network needed for --no-download)
# shellcheck disable=SC2086
apt-get -y install --no-download --download-only $CACHE_ONLY openresolv
for p in $CACHE_ONLY $CACHE_ALTERNATIVES; do
    dpkg -s "$p" >/dev/null 2>&1 && { echo "ERROR: $p must not be installed"; exit 1; }
done
ls -l /var/cache/apt/archives/*.deb
# keep /var/lib/apt/lists (offline 'apt-get install' needs it); drop binary caches
rm -f /var/cache/apt/pkgcache.bin /var/cache/apt/srcpkgcache.bin

# --- systemd in a container ---------------------------------------------------
# Units that cannot work (or are pointless) in a container.
for u in \
    systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service \
    systemd-modules-load.service systemd-remount-fs.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    dev-hugepages.mount sys-fs-fuse-connections.mount \
    getty.target console-getty.service getty@tty1.service \
    systemd-firstboot.service systemd-hwdb-update.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
    ; do
    ln -sf /dev/null "/etc/systemd/system/$u"
done
systemctl set-default multi-user.target

# journald: keep it small and in memory
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' >/etc/systemd/journald.conf.d/90-container.conf

# fresh machine-id per container (systemd creates a transient one at boot)
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id

rm -f /usr/sbin/policy-rc.d
rm -rf /tmp/* /var/tmp/* /var/log/apt/* /var/log/*.log /root/.cache
echo "rootfs-setup: OK ($SUITE)"
