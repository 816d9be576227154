#!/usr/bin/env bash
# `npm run bench [-- options]`: the end-to-end benchmark (tools/bench). Builds the production bundles of the gateway,
# the matching engine and the orchestrator and the bench itself, then runs it from the workspace root; everything
# after `--` goes to the bench (`npm run bench -- --help`). BENCH_SKIP_BUILD=1 uses the bundles already in dist/.
# BENCH_ENTRY=kafka-clients (`npm run bench:kafka`) runs the Kafka clients' side-by-side instead, which needs no app.
set -Eeuo pipefail
cd "$(dirname "$0")/../.."
# A supported Node.js first on PATH (fetched once when the machine's is too old), and the locked npm packages.
source tools/scripts/node-runtime.sh
bash tools/scripts/ensure-deps.sh
entry="${BENCH_ENTRY:-main}"
if [ "$entry" != main ] && [ "$entry" != kafka-clients ]; then
  echo "bench: BENCH_ENTRY must be main or kafka-clients, got \"$entry\"" >&2
  exit 2
fi
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] && [ "$entry" = kafka-clients ]; then
  mkdir -p dist
  node tools/scripts/bundle-app.mjs tools/bench/src/kafka-clients.ts dist/tools/bench/kafka-clients.js
elif [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  mkdir -p dist
  echo "bench: building dist/apps/{gateway,matching-engine,orchestrator}/main.js (log: dist/bench-build.log)" >&2
  if ! NX_DAEMON=false NX_TUI=false npx nx run-many -t build -p gateway matching-engine orchestrator \
    --outputStyle=static >dist/bench-build.log 2>&1; then
    tail -n 30 dist/bench-build.log >&2
    exit 1
  fi
  node tools/scripts/bundle-app.mjs tools/bench/src/main.ts dist/tools/bench/main.js
fi
if [ ! -f "dist/tools/bench/$entry.js" ]; then
  echo "bench: dist/tools/bench/$entry.js is missing: run without BENCH_SKIP_BUILD=1 once" >&2
  exit 2
fi
exec node "dist/tools/bench/$entry.js" "$@"
