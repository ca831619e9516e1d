#!/usr/bin/env bash
# Build (once) and mount the Debian sid chroot that carries Asterisk 22.
#
# Debian 12 has no Asterisk package; sid has Asterisk 22. The chroot is a plain
# folder, cached at a fixed place so that every checkout, test run and CI run on
# this machine reuses it; it is built from nothing when it is absent.
#
#   scripts/asterisk-chroot.sh build  ROOT   # debootstrap + apt-get install asterisk (idempotent)
#   scripts/asterisk-chroot.sh upgrade ROOT  # the root's packages to their newest versions
#   scripts/asterisk-chroot.sh rebuild ROOT  # a new ROOT from nothing; the one before is ROOT.old
#   scripts/asterisk-chroot.sh remove ROOT   # ROOT's own files, never what is mounted in it
#   scripts/asterisk-chroot.sh mount  ROOT   # /proc and /dev inside ROOT (idempotent)
#   scripts/asterisk-chroot.sh umount ROOT
set -euo pipefail

action=${1:?usage: asterisk-chroot.sh build|upgrade|rebuild|remove|mount|umount ROOT}
root=${2:?usage: asterisk-chroot.sh build|upgrade|rebuild|remove|mount|umount ROOT}
stamp="$root/.hotline-chroot-ready"
# Asterisk, its English core sounds, and Debian's music on hold (8 kHz GSM, what a phone hears).
packages="asterisk asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm"
opts=(-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)

mirror() {
    # The Debian URI this machine's apt already uses, so the chroot needs no other network.
    local uri
    uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
          | grep -oE 'https?://[^ ]+' | head -n1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

is_mounted() { grep -qs " $(readlink -f "$1") " /proc/mounts; }

# Everything mounted below a root (/proc, /dev, the instances' state), deepest first, undone:
# a root is removed only once nothing but its own files is left in it.
umount_below() {
    local top
    top=$(readlink -f "$1")
    awk -v top="$top/" 'index($2 "/", top) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r point; do umount "$point"; done
}

# Removes a root's own files and nothing else: never across a mount that is still there.
remove_root() {
    [[ -e "$1" ]] || return 0
    umount_below "$1"
    rm -rf --one-file-system "$1"
}

# apt-get inside a root (the mirror's sid Release file is past its validity date).
apt_in() {
    local target=$1; shift
    DEBIAN_FRONTEND=noninteractive chroot "$target" apt-get "${opts[@]}" "$@"
}

# The newest package lists, then what is asked, then the stamp that says the root works.
install_in() {
    local target=$1; shift
    apt_in "$target" update
    apt_in "$target" -y --no-install-recommends -o Dpkg::Options::=--force-confold "$@"
    apt_in "$target" clean
    chroot "$target" /usr/sbin/asterisk -V > "$target/.hotline-chroot-ready"
}

case "$action" in
build)
    if [[ -f "$stamp" ]]; then
        # A root built before a package joined the list gets it (once; then this is cheap).
        # shellcheck disable=SC2086
        installed=$(chroot "$root" dpkg-query -W -f='${db:Status-Status}\n' $packages 2>/dev/null |
                    grep -c '^installed$' || true)
        if [[ "$installed" -ne $(wc -w <<< "$packages") ]]; then
            install_in "$root" install $packages
        fi
        echo "asterisk chroot: reusing $root"
        exit 0
    fi
    command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
    remove_root "$root.partial"
    mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase sid "$root.partial" "$(mirror)"
    install_in "$root.partial" install $packages
    remove_root "$root"
    mv "$root.partial" "$root"
    echo "asterisk chroot: built $(cat "$stamp") in $root"
    ;;
upgrade)
    # A root that is missing or whose Asterisk no longer runs is built again from nothing.
    if [[ ! -f "$stamp" ]] || ! chroot "$root" /usr/sbin/asterisk -V >/dev/null 2>&1; then
        rm -f "$stamp"
        exec bash "$0" build "$root"
    fi
    install_in "$root" upgrade
    echo "asterisk chroot: upgraded to $(cat "$stamp")"
    ;;
rebuild)
    # Built beside the root Asterisk runs in, so the build (about a minute) cuts no call; the
    # two then swap names. A running Asterisk keeps the old root (a chroot follows the folder,
    # not its name) until it restarts into the new one; only then is ROOT.old removed.
    remove_root "$root.next"
    bash "$0" build "$root.next"
    remove_root "$root.old"
    [[ -e "$root" ]] && mv "$root" "$root.old"
    mv "$root.next" "$root"
    bash "$0" mount "$root"
    echo "asterisk chroot: rebuilt from nothing in $root"
    ;;
remove)
    remove_root "$root"
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
