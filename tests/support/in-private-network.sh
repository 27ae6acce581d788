#!/usr/bin/env bash
# Runs a command inside a private network namespace: loopback, plus a veth pair
# with a made-up private address and a default route through it. Chromium then
# considers itself online and gathers only that address, and no packet can
# leave the machine: WebRTC traffic in the browser suites stays inside.
# Every server those suites need is started by the tests inside it. A test that
# cuts one person's network gives that person's browser a namespace of its own
# on a bridge inside this one (tests/support/network-device.ts), and rules of
# its own with nft (tests/support/network-faults.ts): both need the privileges
# this namespace gives, and neither reaches outside it. The bridge (whbr,
# 10.255.255.254/8) is made here, before any program starts: a Chromium
# started before it existed never answers or asks mDNS on it (its host
# candidates are .local names), so a device's browser and that Chromium never
# learnt each other's candidates and stayed "Connecting…".
#   usage: tests/support/in-private-network.sh <command> [args...]
set -euo pipefail

if ! unshare -rn true 2>/dev/null; then
  echo "Cannot create a private network namespace ('unshare -rn' failed): the browser tests keep WebRTC traffic inside one." >&2
  echo "Run 'npm test' as root, or allow user namespaces ('sudo sysctl -w kernel.unprivileged_userns_clone=1' or 'sudo sysctl -w user.max_user_namespaces=15000')." >&2
  exit 1
fi

exec unshare -rn sh -c '
  ip link set lo up &&
  ip link add wh0 type veth peer name wh1 &&
  ip addr add 10.231.0.1/24 dev wh0 &&
  ip link set wh0 up &&
  ip link set wh1 up &&
  ip route add default dev wh0 &&
  ip link add whbr type bridge &&
  ip addr add 10.255.255.254/8 dev whbr &&
  ip link set whbr up &&
  exec "$@"' in-private-network "$@"
