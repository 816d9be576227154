#!/usr/bin/env bash
# `npm run stack`: brings up the whole local stack — MariaDB and Kafka (durable "stack" profile of tools/infra),
# the gateway and one matching-engine shard — checks each one answers, and prints where everything is.
# `npm run stack:down` stops all of it. No Docker needed; with Docker, docker/compose.yaml runs the same stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
# A supported Node.js first on PATH for everything below (fetched once when the machine's is too old).
source tools/scripts/node-runtime.sh
action=${1:-up}
run_dir=.infra/stack/apps
GATEWAY_PORT=${GATEWAY_PORT:-8080}
ENGINE_HTTP_PORT=${ENGINE_HTTP_PORT:-9464}

stop_app() { # name
  local pidfile=$run_dir/$1.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.2; done
    echo "stopped $1"
  fi
  rm -f "$pidfile"
}

start_app() { # name health-url env...
  local name=$1 url=$2
  shift 2
  stop_app "$name"
  env "$@" node "dist/apps/$name/main.js" >>"$run_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
  for _ in $(seq 1 100); do
    if curl -fsS "$url" >/dev/null 2>&1; then
      echo "  $name: $(curl -fsS "$url")  ($url, log $run_dir/$name.log)"
      return 0
    fi
    if ! kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "$name did not become healthy; last lines of $run_dir/$name.log:" >&2
  tail -n 20 "$run_dir/$name.log" >&2
  exit 1
}

case "$action" in
  up)
    bash tools/scripts/ensure-deps.sh
    mkdir -p "$run_dir"
    eval "$(node tools/infra/bin/infra.cjs up --profile stack)"
    NX_DAEMON=false NX_TUI=false npx nx run-many -t build -p gateway matching-engine orchestrator --outputStyle=static >/dev/null
    echo "shardex stack:"
    echo "  kafka: $KAFKA_BROKERS   mysql: $MYSQL_URL"
    # The shard first: it creates its topics, whose output the gateway reads.
    start_app matching-engine "http://127.0.0.1:$ENGINE_HTTP_PORT/health" SHARD_ID=shard-1 NODE_ID=stack-shard-1 SHARD_COUNT=1 HTTP_PORT="$ENGINE_HTTP_PORT" \
      KAFKA_BROKERS="$KAFKA_BROKERS" MYSQL_URL="${MYSQL_URL}shardex" DEPTH_EVERY_COMMANDS=1
    start_app gateway "http://127.0.0.1:$GATEWAY_PORT/health" PORT="$GATEWAY_PORT" KAFKA_BROKERS="$KAFKA_BROKERS" \
      MYSQL_URL="${MYSQL_URL}shardex" SHARD_COUNT=1 INSTRUMENTS_POLL_MS=1000
    node tools/infra/bin/infra.cjs status --profile stack
    echo
    echo "orchestrator: instruments to the shards (and the gateways' registry), then trading on:"
    orchestrator() { KAFKA_BROKERS="$KAFKA_BROKERS" MYSQL_URL="${MYSQL_URL}shardex" SHARD_COUNT=1 node dist/apps/orchestrator/main.js "$@"; }
    # A running shard refuses a new instrument set: stop it first (a fresh one refuses the stop, which is fine).
    orchestrator stop --wait --timeout 30s >/dev/null 2>&1 || true
    orchestrator init --instruments tools/scripts/stack-instruments.json --wait --timeout 60s
    orchestrator start --wait --timeout 60s
    echo
    echo "demo: API keys, then orders over the gateway's HTTP API, and what shard-1 wrote to MySQL:"
    KAFKA_BROKERS="$KAFKA_BROKERS" MYSQL_URL="${MYSQL_URL}shardex" SHARD_COUNT=1 GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT" \
      node -r tsx/cjs tools/scripts/stack-demo.ts
    echo
    echo "API: http://127.0.0.1:$GATEWAY_PORT/docs (OpenAPI), WebSocket ws://127.0.0.1:$GATEWAY_PORT/v1/stream"
    echo "API keys: node dist/apps/orchestrator/main.js keys create --user <id> --mysql-url ${MYSQL_URL}shardex"
    echo
    echo "stop everything with: npm run stack:down"
    ;;
  down)
    stop_app matching-engine
    stop_app gateway
    if [ -d node_modules ]; then node tools/infra/bin/infra.cjs down --profile stack; fi
    ;;
  *)
    echo "usage: stack.sh up|down" >&2
    exit 2
    ;;
esac
