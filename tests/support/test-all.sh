#!/usr/bin/env bash
# `npm test`: every suite, one stage after another, each timed. The stage times are printed at the end,
# also when a stage fails (which stops the run: a later suite would only repeat what failed).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

names=()
seconds=()
outcomes=()
started=$SECONDS

report() {
  echo
  echo "Stage times (npm test):"
  for i in "${!names[@]}"; do printf '  %-40s %5ss  %s\n' "${names[$i]}" "${seconds[$i]}" "${outcomes[$i]}"; done
  printf '  %-40s %5ss\n' "total" $((SECONDS - started))
}

stage() {
  local name=$1
  shift
  local at=$SECONDS
  "$@"
  local code=$?
  names+=("$name")
  seconds+=($((SECONDS - at)))
  outcomes+=("$([ "$code" -eq 0 ] && echo ok || echo "FAILED ($code)")")
  if [ "$code" -ne 0 ]; then
    report
    exit "$code"
  fi
}

stage "typecheck" npm run --silent typecheck
stage "build (app and server)" npm run --silent build
stage "system packages" bash tests/support/system-deps.sh chromium firefox-esr WebKitWebDriver xvfb-run xauth gdb turnserver caddy redis-server docker-compose nft openssl dbus-daemon notify-send
stage "unit, architecture, npm start (Node 20)" npm run --silent test:node20
stage "server, deploy (Node 22)" npm run --silent test:node22
stage "components (Chromium)" npm run --silent test:components
stage "browser suites (Playwright)" npm run --silent test:browser
report
