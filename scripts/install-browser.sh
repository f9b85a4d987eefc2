#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/templates/test_preview_browser.py)
# and for previewing worker task templates. Playwright drives this system browser; it never
# downloads a browser of its own (`playwright install` is not used).
#
# Does nothing when /usr/bin/chromium exists. Installs with apt-get when run as root (or with
# password-less sudo). Exits 0 with a warning when it cannot install: the browser test then
# skips itself and says why.
set -uo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi

warn() {
    echo "install-browser.sh: WARNING: $*; the browser test will be skipped." >&2
    exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
    warn "no apt-get on this machine, cannot install Debian's chromium"
fi

if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    warn "not root and no password-less sudo, cannot install chromium (run: sudo apt-get install chromium)"
fi

echo "install-browser.sh: installing Debian's chromium with apt-get ..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update -qq; then
    warn "apt-get update failed"
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; then
    warn "apt-get install chromium failed"
fi
if [[ ! -x "$CHROMIUM" ]]; then
    warn "apt-get installed chromium but $CHROMIUM is missing"
fi
echo "install-browser.sh: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed" >&2
exit 0
