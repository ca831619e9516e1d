#!/usr/bin/env bash
# Build (once) and mount the Debian sid chroot that carries Asterisk 22.
#
# Debian 12 has no Asterisk package; sid has Asterisk 22. The chroot is a plain
# folder, cached at a fixed place so that every checkout, test run and CI run on
# this machine reuses it; it is built from nothing when it is absent.
#
#   scripts/asterisk-chroot.sh build  ROOT   # debootstrap + apt-get install asterisk (idempotent)
#   scripts/asterisk-chroot.sh mount  ROOT   # /proc and /dev inside ROOT (idempotent)
#   scripts/asterisk-chroot.sh umount ROOT
set -euo pipefail

action=${1:?usage: asterisk-chroot.sh build|mount|umount ROOT}
root=${2:?usage: asterisk-chroot.sh build|mount|umount ROOT}
stamp="$root/.hotline-chroot-ready"
packages="asterisk asterisk-core-sounds-en-gsm"

mirror() {
    # The Debian URI this machine's apt already uses, so the chroot needs no other network.
    local uri
    uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
          | grep -oE 'https?://[^ ]+' | head -n1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

is_mounted() { grep -qs " $(readlink -f "$1") " /proc/mounts; }

case "$action" in
build)
    if [[ -f "$stamp" ]]; then
        echo "asterisk chroot: reusing $root"
        exit 0
    fi
    command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
    rm -rf "$root.partial"
    mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase sid "$root.partial" "$(mirror)"
    opts=(-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
    chroot "$root.partial" apt-get "${opts[@]}" update
    DEBIAN_FRONTEND=noninteractive chroot "$root.partial" apt-get "${opts[@]}" install -y --no-install-recommends $packages
    chroot "$root.partial" apt-get clean
    chroot "$root.partial" /usr/sbin/asterisk -V > "$root.partial/.hotline-chroot-ready"
    rm -rf "$root"
    mv "$root.partial" "$root"
    echo "asterisk chroot: built $(cat "$stamp") in $root"
    ;;
mount)
    is_mounted "$root/proc" || mount -t proc proc "$root/proc"
    is_mounted "$root/dev" || mount --bind /dev "$root/dev"
    ;;
umount)
    is_mounted "$root/dev" && umount "$root/dev"
    is_mounted "$root/proc" && umount "$root/proc"
    true
    ;;
*)
    echo "unknown action $action" >&2; exit 2 ;;
esac
