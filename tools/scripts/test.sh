#!/usr/bin/env bash
# `npm test`: every check in the repo — lint, typecheck, build, unit tests, then the integration tests against a
# real Kafka and a real MySQL (env → Docker/testcontainers → local tools/infra, provided once for the whole run).
set -uo pipefail
cd "$(dirname "$0")/../.."
# A supported Node.js first on PATH for everything below (fetched once when the machine's is too old).
source tools/scripts/node-runtime.sh || exit 1
bash tools/scripts/ensure-deps.sh || exit 1
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0
rm -rf dist/test-results
status=0
npx prettier --check . --log-level warn || status=1
npx nx run-many -t lint typecheck build test --outputStyle=static || status=1
# Integration files run one project at a time: two cores also host the broker and the database.
node libs/testing/bin/with-test-infra.cjs npx nx run-many -t integration --parallel=1 --outputStyle=static || status=1
# The fault tests (shard, broker and database faults asserted on the data) once more on every other Kafka client
# library: the ports' own suite runs on each already, and a client is only selectable while it passes both.
for client in $(npx tsx -e "import { KAFKA_CLIENTS as all, DEFAULT_KAFKA_CLIENT as d } from './libs/kafka/src/clients';
console.log(all.filter((c) => c !== d).join(' '))"); do
  SHARDEX_TEST_KAFKA_CLIENT="$client" node libs/testing/bin/with-test-infra.cjs \
    npx nx run-many -t faults --parallel=1 --outputStyle=static || status=1
done
node tools/scripts/test-summary.mjs dist/test-results || status=1
exit "$status"
