#!/usr/bin/env bash
# Installs npm dependencies (the locked versions) when they are missing or older than package-lock.json, with a
# supported Node.js (tools/scripts/node-runtime.sh fetches one when the machine's is too old).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/scripts/node-runtime.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies (Node.js $(node --version))" >&2
  # `npm install`, not `npm ci`: the lockfile holds the versions, but registry mirrors that carry only this
  # platform's native packages (@swc/core-*, resolver bindings) leave other platforms' optional entries out of it,
  # and `npm ci` rejects such a lockfile as out of sync. `npm install` installs exactly the locked versions.
  npm install --no-audit --no-fund --loglevel=error
fi
