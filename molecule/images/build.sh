#!/usr/bin/env bash
# Build the systemd test image for molecule scenarios, without any registry:
#   debootstrap (minbase) -> chroot customisation (rootfs-setup.sh) -> docker import
#
#   molecule/images/build.sh bookworm|trixie
#
# Tags:  wirefleet-test:SUITE-<recipe hash>  and  wirefleet-test:SUITE
# The recipe hash covers build.sh + rootfs-setup.sh (+ mirror settings), so
# any change to the recipe produces a new tag; an existing tag is reused.
#
# Env:
#   WIREFLEET_CACHE   cache dir outside the repo (default /var/cache/wirefleet)
#   DEBIAN_MIRROR     default http://deb.debian.org/debian
#   SECURITY_MIRROR   default http://deb.debian.org/debian-security
#   FORCE=1           rebuild even if the hash tag exists (stage-1 cache kept)
#   FORCE_BOOTSTRAP=1 also redo debootstrap
set -euo pipefail

SUITE=${1:-}
case "$SUITE" in
    bookworm|trixie) ;;
    *) echo "usage: $0 bookworm|trixie" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${WIREFLEET_CACHE:-/var/cache/wirefleet}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
REPO=wirefleet-test
VARIANT=minbase

T0=$(date +%s)
log() { printf '[build.sh %s +%ss] %s\n' "$SUITE" "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || die "debootstrap missing: run molecule/images/dockerd.sh"
docker info >/dev/null 2>&1 || die "docker not answering: run molecule/images/dockerd.sh"

# ---- recipe hash -----------------------------------------------------------
# The recipe = these files + the mirror settings. Add any new recipe file here.
RECIPE_FILES=(build.sh rootfs-setup.sh)
recipe_hash() {
    (
        cd "$HERE"
        for f in "${RECIPE_FILES[@]}"; do printf '%s\n' "$f"; cat "$f"; done
        printf 'mirror=%s security=%s variant=%s\n' "$DEBIAN_MIRROR" "$SECURITY_MIRROR" "$VARIANT"
    ) | sha256sum | cut -c1-12
}
HASH=$(recipe_hash)
TAG="$REPO:$SUITE-$HASH"

# One build per suite at a time (the docker daemon may be shared by sessions).
mkdir -p "$CACHE"
exec 9>"$CACHE/build-$SUITE.lock"
flock -w 1800 9 || die "timed out waiting for $CACHE/build-$SUITE.lock"

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    docker tag "$TAG" "$REPO:$SUITE"
    log "cached: $TAG (also tagged $REPO:$SUITE); nothing to do"
    echo "$TAG"
    exit 0
fi

mkdir -p "$CACHE/debootstrap" "$CACHE/debs/$SUITE" "$CACHE/work"

# ---- stage 1: debootstrap tree, cached as a tarball --------------------------
# Keyed by what debootstrap sees only, so recipe edits do not re-bootstrap.
DBS_VERSION=$(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null || echo unknown)
STAGE1_KEY=$(printf '%s %s %s %s\n' "$SUITE" "$VARIANT" "$DEBIAN_MIRROR" "$DBS_VERSION" | sha256sum | cut -c1-12)
STAGE1="$CACHE/debootstrap/$SUITE-$VARIANT-$STAGE1_KEY.tar"

ROOT=""
cleanup() {
    local rc=$?
    if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
        # unmount everything below ROOT, deepest first
        { grep -F " $ROOT/" /proc/mounts || true; } | awk '{print $2}' | LC_ALL=C sort -r \
            | while read -r m; do umount -l "$m" || true; done
        rm -rf --one-file-system "$ROOT" || true
    fi
    [ "$rc" -eq 0 ] || log "FAILED (rc=$rc)"
    exit "$rc"
}
trap cleanup EXIT

if [ "${FORCE_BOOTSTRAP:-0}" = 1 ] || [ ! -s "$STAGE1" ]; then
    log "stage 1: debootstrap --variant=$VARIANT $SUITE $DEBIAN_MIRROR"
    ROOT=$(mktemp -d "$CACHE/work/$SUITE-stage1.XXXXXX")
    chmod 755 "$ROOT"
    debootstrap --variant="$VARIANT" --cache-dir="$CACHE/debs/$SUITE" \
        "$SUITE" "$ROOT" "$DEBIAN_MIRROR" >"$CACHE/work/debootstrap-$SUITE.log" 2>&1 \
        || { tail -n 40 "$CACHE/work/debootstrap-$SUITE.log" >&2; die "debootstrap failed"; }
    tar -C "$ROOT" --numeric-owner --xattrs -cf "$STAGE1.tmp" .
    mv "$STAGE1.tmp" "$STAGE1"
    rm -rf --one-file-system "$ROOT"
    ROOT=""
    log "stage 1 cached: $STAGE1"
else
    log "stage 1 cache hit: $STAGE1"
fi

# ---- stage 2: customise in a chroot -----------------------------------------
ROOT=$(mktemp -d "$CACHE/work/$SUITE-stage2.XXXXXX")
chmod 755 "$ROOT"
tar -C "$ROOT" --numeric-owner --xattrs -xf "$STAGE1"

mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
install -m 0755 "$HERE/rootfs-setup.sh" "$ROOT/rootfs-setup.sh"

log "stage 2: chroot setup (apt install + offline .deb cache)"
chroot "$ROOT" /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    SUITE="$SUITE" DEBIAN_MIRROR="$DEBIAN_MIRROR" SECURITY_MIRROR="$SECURITY_MIRROR" \
    /bin/bash /rootfs-setup.sh >"$CACHE/work/setup-$SUITE.log" 2>&1 \
    || { tail -n 60 "$CACHE/work/setup-$SUITE.log" >&2; die "rootfs-setup.sh failed (full log: $CACHE/work/setup-$SUITE.log)"; }
rm -f "$ROOT/rootfs-setup.sh"

for m in dev/pts dev sys proc; do umount "$ROOT/$m"; done
# docker bind-mounts its own resolv.conf/hosts/hostname at run time
: >"$ROOT/etc/resolv.conf"

# ---- stage 3: import, then add metadata ---------------------------------------
# 'docker import --change' does not accept STOPSIGNAL, so a metadata-only
# Dockerfile (no RUN: needs no network, no registry) finishes the image.
ROOTFS_TAG="$REPO-rootfs:$SUITE-$HASH"
log "stage 3: docker import -> $ROOTFS_TAG"
tar -C "$ROOT" --numeric-owner --xattrs -c . \
    | docker import --message "wirefleet rootfs $SUITE recipe $HASH" - "$ROOTFS_TAG" >/dev/null
rm -rf --one-file-system "$ROOT"; ROOT=""
log "stage 3: docker build (metadata only) -> $TAG"
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" \
    --label "org.wirefleet.recipe=$HASH" --label "org.wirefleet.suite=$SUITE" - \
    >/dev/null 2>"$CACHE/work/docker-build-$SUITE.log" <<DOCKERFILE \
    || { cat "$CACHE/work/docker-build-$SUITE.log" >&2; die "docker build failed"; }
FROM $ROOTFS_TAG
ENV container=docker LANG=C.UTF-8
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
DOCKERFILE
docker image rm "$ROOTFS_TAG" >/dev/null
docker tag "$TAG" "$REPO:$SUITE"

# drop older recipe builds of this suite (keep the current one)
docker image ls --format '{{.Repository}}:{{.Tag}}' "$REPO" \
    | grep -E "^$REPO:$SUITE-[0-9a-f]{12}\$" | grep -vx "$TAG" \
    | xargs -r docker image rm >/dev/null 2>&1 || true

log "done: $TAG (also $REPO:$SUITE), $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
echo "$TAG"
