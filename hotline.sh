#!/usr/bin/env bash
# One entry point for operators and CI.
#
#   sudo ./hotline.sh up       install what is missing and start the hotline on this box
#   sudo ./hotline.sh down     stop it
#   sudo ./hotline.sh status   what runs, where to call, where to browse
#   sudo ./hotline.sh test     install what is missing and run the whole test suite
#
# Everything it installs comes from Debian's packages and PyPI, by name; the Asterisk 22 chroot
# is built once into /var/cache/hotline (HOTLINE_ASTERISK_ROOT) and reused after that.
set -euo pipefail

cd "$(dirname "$0")"
PROJECT=$(pwd)
VENV=${HOTLINE_VENV:-$PROJECT/.venv}
# Debian's own interpreter: the services run as the unprivileged user `hotline`, which must be
# able to run the virtualenv's Python (an interpreter under /root, e.g. pyenv's, it cannot).
PYTHON=${HOTLINE_PYTHON:-/usr/bin/python3}
# opus-tools compresses recordings once transcribed; logrotate rotates the hotline's logs.
DEBIAN_PACKAGES=(python3 python3-venv python3-dev gcc debootstrap sip-tester espeak-ng sox
                 iproute2 ca-certificates opus-tools logrotate)
# The test suite also runs every database test on PostgreSQL; the browser tests drive
# Debian's Chromium (with CJK fonts so the Chinese consoles render); fail2ban checks its
# filter against the security log the tests produce; systemd-analyze verifies the units.
TEST_DEBIAN_PACKAGES=(postgresql postgresql-contrib chromium fonts-noto-cjk fail2ban systemd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

need_root() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "run as root (Asterisk runs from a chroot; sipp needs raw sockets): sudo $0 $*" >&2
        exit 1
    fi
}

install_debian_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        say "installing Debian packages: ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

install_python() {
    local extras=$1 stamp="$VENV/.hotline-installed"
    local want
    want="$extras $(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [[ -f "$VENV/pyvenv.cfg" ]] && ! grep -qx "home = $(dirname "$PYTHON")" "$VENV/pyvenv.cfg"; then
        say "recreating the virtualenv $VENV from $PYTHON"
        rm -rf "$VENV"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating the virtualenv $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        say "installing Python dependencies ($extras)"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[$extras]"
        echo "$want" > "$stamp"
    fi
}

case "${1:-}" in
up)
    need_root up
    install_debian_packages "${DEBIAN_PACKAGES[@]}"
    install_python runtime
    exec "$VENV/bin/hotline" start
    ;;
down)
    exec "$VENV/bin/hotline" stop
    ;;
status)
    exec "$VENV/bin/hotline" status
    ;;
test)
    need_root test
    install_debian_packages "${DEBIAN_PACKAGES[@]}" "${TEST_DEBIAN_PACKAGES[@]}"
    install_python test
    say "preparing the Asterisk chroot (built once, then reused)"
    "$VENV/bin/python" -c "from hotline.asterisk import build_root; from hotline.settings import load_settings; build_root(load_settings())"
    say "running the test suite"
    shift
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
*)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
