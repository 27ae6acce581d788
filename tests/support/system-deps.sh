#!/usr/bin/env bash
# Makes sure the system programs that the browser and topology suites need are
# installed: installs them with apt-get when running as root (as CI does), or
# stops with the one command to run. A suite is never skipped for want of them.
#   usage: tests/support/system-deps.sh chromium [firefox-esr WebKitWebDriver xvfb-run xauth turnserver caddy redis-server docker-compose nft openssl gdb dbus-daemon notify-send]
# (notify-send stands for libnotify, through which Firefox shows its notifications on the push tests' D-Bus desktop.)
set -euo pipefail

declare -A PACKAGE_OF=([chromium]=chromium [firefox-esr]=firefox-esr [WebKitWebDriver]=webkit2gtk-driver [xvfb-run]=xvfb [xauth]=xauth [turnserver]=coturn [caddy]=caddy [redis-server]=redis-server [docker-compose]=docker-compose [nft]=nftables [openssl]=openssl [gdb]=gdb [dbus-daemon]=dbus-daemon [notify-send]=libnotify-bin)

missing=()
for program in "$@"; do
  package=${PACKAGE_OF[$program]:?"unknown program $program"}
  command -v "$program" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} from Debian's packages (needed by the browser and topology tests)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}', then 'npm test' again." >&2
exit 1
