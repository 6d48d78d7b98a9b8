#!/usr/bin/env bash
# Runs INSIDE the debootstrap chroot (called by build.sh). Not for direct use.
# Env from build.sh: SUITE, DEBIAN_MIRROR, SECURITY_MIRROR.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive

# Installed for real: what every scenario needs to boot systemd, run Ansible
# (python3, python3-apt) and verify (ping, nc, tcpdump, ss/ip, curl).
# openssh-server is installed but disabled (ssh.service is off, no host key
# in the image): a scenario that reaches its hosts over SSH starts it, and the
# drop-in below makes each container's own host key at the first start.
INSTALL="systemd systemd-sysv dbus python3 python3-apt iproute2 iputils-ping
         procps sudo ca-certificates netcat-openbsd tcpdump curl openssh-server"
# Only cached in /var/cache/apt/archives: the roles install these offline.
# Each package is also downloaded on its own, so any subset/order a role
# uses resolves from the cache. openresolv and resolvconf conflict: both
# are cached, separately. ufw and firewalld are for scenarios that test a
# host whose own firewall is already there (they install what they test);
# ipset and python3-cap-ng are what firewalld recommends besides iptables.
CACHE_ONLY="wireguard-tools wireguard-go nftables iptables ufw firewalld ipset python3-cap-ng"
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

# no docs/man/locales in the image (smaller); copyright files stay
cat >/etc/dpkg/dpkg.cfg.d/90wirefleet-nodoc <<'CONF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
CONF
find /usr/share/doc -mindepth 2 ! -name copyright ! -type d -delete
rm -rf /usr/share/man/* /usr/share/info/*
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +

# no daemons started from maintainer scripts while in the chroot
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

apt-get update
apt-get -y dist-upgrade
# shellcheck disable=SC2086
apt-get -y install $INSTALL

# --- sshd: installed, off, no host key -------------------------------------------
# openssh-server's postinst made host keys: every container would share them.
rm -f /etc/ssh/ssh_host_*
systemctl disable ssh.service
systemctl disable ssh.socket 2>/dev/null || true
cat >/etc/ssh/sshd_config.d/90-wirefleet-test.conf <<'CONF'
# wirefleet test image: key authentication only, no root login. One host key,
# made by ssh.service at its first start in each container (see the drop-in).
HostKey /etc/ssh/ssh_host_ed25519_key
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
CONF
mkdir -p /etc/systemd/system/ssh.service.d
cat >/etc/systemd/system/ssh.service.d/90-wirefleet-hostkey.conf <<'CONF'
# wirefleet test image: this container's own host key, made before sshd's config test.
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -s /etc/ssh/ssh_host_ed25519_key || exec /usr/bin/ssh-keygen -q -t ed25519 -N "" -C "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
CONF
systemctl is-enabled ssh.service && { echo "ERROR: ssh.service must be disabled in the image"; exit 1; }

# --- the offline cache --------------------------------------------------------
apt-get clean          # drop the .debs of what is installed for real
for p in $CACHE_ONLY $CACHE_ALTERNATIVES; do
    apt-get -y install --download-only "$p"
done
# shellcheck disable=SC2086
apt-get -y install --download-only $CACHE_ONLY openresolv
# shellcheck disable=SC2086
apt-get -y install --download-only $CACHE_ONLY resolvconf
for p in $CACHE_ONLY $CACHE_ALTERNATIVES; do
    dpkg -s "$p" >/dev/null 2>&1 && { echo "ERROR: $p must not be installed"; exit 1; }
done
ls -l /var/cache/apt/archives/*.deb

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

# --- offline apt: a local, Debian-signed metadata mirror ------------------------
# The test networks are docker 'internal' networks: no mirror, and DNS for
# deb.debian.org just times out (apt-get update hangs for minutes; ansible's
# apt update_cache fails after 5 retries). So the image's sources point to
# file:$MIRROR, holding the genuine InRelease + Packages.xz of each suite
# (downloaded now, hash-checked against InRelease). 'apt-get update' then
# works offline and verifies signatures as usual, and 'apt-get install' of
# the cached .debs needs no network. The pool is empty: installing anything
# that is not in /var/cache/apt/archives fails at once ("File not found").
MIRROR=/var/lib/wirefleet/apt-mirror
mirror_dist() {  # URI NAME DIST
    local uri=$1 name=$2 dist=$3 dir sum
    dir="$MIRROR/$name/dists/$dist"
    mkdir -p "$dir/main/binary-amd64"
    /usr/lib/apt/apt-helper download-file "$uri/dists/$dist/InRelease" "$dir/InRelease"
    # must be the index the .debs above were resolved against
    cmp "$dir/InRelease" "/var/lib/apt/lists/$(echo "${uri#*://}/dists/$dist/" | tr / _)InRelease" \
        || { echo "ERROR: $uri $dist changed during the build; run build.sh again"; exit 1; }
    sum=$(awk '/^SHA256:/{f=1;next} /^[^ ]/{f=0} f && $3=="main/binary-amd64/Packages.xz"{print $1}' "$dir/InRelease")
    [ -n "$sum" ] || { echo "ERROR: no Packages.xz hash in $dir/InRelease"; exit 1; }
    /usr/lib/apt/apt-helper download-file "$uri/dists/$dist/main/binary-amd64/Packages.xz" \
        "$dir/main/binary-amd64/Packages.xz" "SHA256:$sum"
}
mirror_dist "$DEBIAN_MIRROR" debian "$SUITE"
mirror_dist "$DEBIAN_MIRROR" debian "$SUITE-updates"
mirror_dist "$SECURITY_MIRROR" debian-security "$SUITE-security"

cat >/etc/apt/sources.list.d/debian.sources <<SRC
# wirefleet test image: offline metadata mirror (see molecule/README.md).
# The real sources were ${DEBIAN_MIRROR} and ${SECURITY_MIRROR}.
Types: deb
URIs: file:$MIRROR/debian
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: file:$MIRROR/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

cat >/etc/apt/apt.conf.d/99wirefleet-offline <<'CONF'
// wirefleet test image: no network.
// The baked InRelease files age: -security has a Valid-Until of ~1 week.
Acquire::Check-Valid-Until "false";
// Anything still pointing at http(s) fails at once instead of hanging on DNS.
Acquire::http::Proxy "http://127.0.0.1:9/";
Acquire::https::Proxy "http://127.0.0.1:9/";
Acquire::Retries "0";
CONF

rm -rf /var/lib/apt/lists/*
mkdir -p /var/lib/apt/lists/partial
apt-get update
# prove it: the pool is empty now, so this fails unless every .deb is cached
# shellcheck disable=SC2086
apt-get -y install --download-only $CACHE_ONLY openresolv
# shellcheck disable=SC2086
apt-get -y install --download-only $CACHE_ONLY resolvconf
rm -f /var/cache/apt/pkgcache.bin /var/cache/apt/srcpkgcache.bin

rm -f /usr/sbin/policy-rc.d
rm -rf /tmp/* /var/tmp/* /var/log/apt/* /var/log/*.log /root/.cache
echo "rootfs-setup: OK ($SUITE)"
