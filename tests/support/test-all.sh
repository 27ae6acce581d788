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
# Both runtimes at once: their suites wait on real processes and timers more than they compute (side by side
# they took 85 s here, one after the other 103 s). Each one's output is printed whole once both are done.
side_by_side() {
  local dir
  dir=$(mktemp -d)
  vitest run >"$dir/node20" 2>&1 &
  local node20=$!
  npm run --silent test:node22 >"$dir/node22" 2>&1 &
  local node22=$!
  wait "$node20"
  local code20=$?
  wait "$node22"
  local code22=$?
  echo "== unit, server, deploy on Node 20 (exit $code20)"
  cat "$dir/node20"
  echo "== server, deploy on Node 22 (exit $code22)"
  cat "$dir/node22"
  rm -rf "$dir"
  [ "$code20" -eq 0 ] && [ "$code22" -eq 0 ]
}
stage "unit, server, deploy (Node 20 and 22)" side_by_side
stage "components (Chromium)" npm run --silent test:components
stage "browser suites (Playwright)" npm run --silent test:browser
report
