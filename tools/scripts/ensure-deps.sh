#!/usr/bin/env bash
# Installs npm dependencies (the locked versions) when they are missing or older than package-lock.json; checks the Node version first.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v node >/dev/null; then
  echo "shardex needs Node.js >= 20.19 (node not found)" >&2
  exit 1
fi
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`shardex needs Node.js >= 20.19, this is ${process.version}`);
    process.exit(1);
  }'
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies" >&2
  # `npm install`, not `npm ci`: the lockfile holds the versions, but registry mirrors that carry only this
  # platform's native packages (@swc/core-*, resolver bindings) leave other platforms' optional entries out of it,
  # and `npm ci` rejects such a lockfile as out of sync. `npm install` installs exactly the locked versions.
  npm install --no-audit --no-fund --loglevel=error
fi
