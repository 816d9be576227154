#!/usr/bin/env bash
# `npm run stack`: brings up the whole stack — Kafka and MySQL, the gateway and two matching-engine shards as
# separate processes — puts instruments on both shards, places crossing orders over the HTTP API and prints what
# happened and where everything is. `npm run stack:down` stops all of it.
# With a Docker engine answering (SHARDEX_STACK=auto, the default) it runs docker/compose.yaml; without one
# (or SHARDEX_STACK=local) it runs the apps as local processes on tools/infra's MariaDB and Kafka ("stack" profile).
set -Eeuo pipefail
cd "$(dirname "$0")/../.."
action=${1:-up}
mode=${SHARDEX_STACK:-auto}
run_dir=.infra/stack/apps
GATEWAY_PORT=${GATEWAY_PORT:-8080}
# The same shard map and instruments as docker/compose.yaml and k8s/ use.
SHARD_MAP_FILE=$PWD/k8s/base/config/shard-map.json
INSTRUMENTS=k8s/base/config/instruments.json
SHARDS=(shard-1 shard-2)
export SHARD_MAP_FILE

# Every step says what it does; a failure names the step and the log to read.
current_step=
current_log=
step() { # title [log]
  current_step=$1
  current_log=${2:-}
  printf '\n==> %s\n' "$1"
}
on_error() {
  local code=$?
  echo >&2
  echo "stack: step \"$current_step\" failed (exit $code)${current_log:+; its log: $current_log}" >&2
  if [ -n "$current_log" ] && [ -f "$current_log" ]; then
    echo "last lines of $current_log:" >&2
    tail -n 20 "$current_log" >&2
  fi
  case "$current_step" in instruments*)
    echo "the stack keeps its data between runs: a shard refuses an instrument set that drops a symbol it still" >&2
    echo "holds orders for; npm run stack:reset stops the stack and deletes its data, to start from empty" >&2
    ;;
  esac
  echo "stop what did start with: npm run stack:down" >&2
  exit "$code"
}
trap on_error ERR

docker_answers() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1
}
if [ "$mode" = auto ]; then
  if docker_answers; then mode=docker; else mode=local; fi
fi
case "$mode" in local | docker) ;; *)
  echo "SHARDEX_STACK must be auto, local or docker, got \"$mode\"" >&2
  exit 2
  ;;
esac

# A supported Node.js first on PATH for everything below (fetched once when the machine's is too old).
source tools/scripts/node-runtime.sh

stop_app() { # name
  local pidfile=$run_dir/$1.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill -KILL "$(cat "$pidfile")"; fi
    echo "  stopped $1"
  fi
  rm -f "$pidfile"
}

start_app() { # name app health-url env...
  local name=$1 app=$2 url=$3
  shift 3
  current_log=$run_dir/$name.log
  stop_app "$name"
  env "$@" node "dist/apps/$app/main.js" >>"$run_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
  for _ in $(seq 1 150); do
    if curl -fsS "$url" >/dev/null 2>&1; then
      echo "  $name: pid $(cat "$run_dir/$name.pid"), $url → $(curl -fsS "$url")"
      return 0
    fi
    if ! kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null; then
      echo "  $name exited" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "  $name did not answer $url within 30 s" >&2
  return 1
}

local_up() {
  step "npm packages"
  mkdir -p "$run_dir"
  bash tools/scripts/ensure-deps.sh
  step "MariaDB and Kafka (tools/infra, profile \"stack\"; installed on first use)"
  eval "$(node tools/infra/bin/infra.cjs up --profile stack)"
  local mysql_url="${MYSQL_URL}shardex"
  step "build the gateway, the matching engine, the orchestrator and the web console" "$run_dir/build.log"
  NX_DAEMON=false NX_TUI=false npx nx run-many -t build -p gateway matching-engine orchestrator console \
    --outputStyle=static >"$run_dir/build.log" 2>&1
  echo "  dist/apps/{gateway,matching-engine,orchestrator}/main.js, dist/apps/console/"
  orchestrator() { KAFKA_BROKERS="$KAFKA_BROKERS" MYSQL_URL="$mysql_url" node dist/apps/orchestrator/main.js "$@"; }

  step "topics of both shards (orchestrator topics create)"
  orchestrator topics create

  step "the shards: ${SHARDS[*]} (each migrates the database, then restores its last snapshot)"
  local port=9464
  for shard in "${SHARDS[@]}"; do
    start_app "matching-engine-$shard" matching-engine "http://127.0.0.1:$port/health" SHARD_ID="$shard" \
      NODE_ID="stack-$shard" HTTP_PORT="$port" KAFKA_BROKERS="$KAFKA_BROKERS" MYSQL_URL="$mysql_url" \
      DEPTH_EVERY_COMMANDS=1
    port=$((port + 1))
  done

  step "the gateway" "$run_dir/gateway.log"
  start_app gateway gateway "http://127.0.0.1:$GATEWAY_PORT/health" PORT="$GATEWAY_PORT" \
    KAFKA_BROKERS="$KAFKA_BROKERS" MYSQL_URL="$mysql_url" INSTRUMENTS_POLL_MS=1000

  step "instruments to both shards, then trading on (orchestrator stop, init, start)"
  # A running shard refuses a new instrument set: stop the shards first when one runs (from an earlier `up`).
  if curl -fsS http://127.0.0.1:9464/health http://127.0.0.1:9465/health 2>/dev/null | grep -q '"RUNNING"'; then
    orchestrator stop --wait --timeout 30s >/dev/null 2>&1 || true
  fi
  orchestrator init --instruments "$INSTRUMENTS" --wait --timeout 60s
  orchestrator start --wait --timeout 60s

  step "demo API keys (orchestrator keys create)"
  MAKER_KEY=$(orchestrator keys create --user demo-maker --label "stack demo" --json | json_field apiKey)
  TAKER_KEY=$(orchestrator keys create --user demo-taker --label "stack demo" --json | json_field apiKey)
  echo "  demo-maker and demo-taker"

  step "crossing orders over the HTTP API, one symbol per shard" "$run_dir/gateway.log"
  GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT" MAKER_KEY="$MAKER_KEY" TAKER_KEY="$TAKER_KEY" \
    node -r tsx/cjs tools/scripts/stack-demo.ts

  current_step=status
  step "shard status (orchestrator status)"
  orchestrator status || true
  summary "$mysql_url" "local processes; logs in $run_dir/"
}

docker_up() {
  local compose=(docker compose -f docker/compose.yaml)
  step "the compose stack: Kafka, MySQL, topics, two shards, the gateway (docker compose up)"
  "${compose[@]}" up --detach --build --wait
  # The orchestrator's CLI in the image, with the database and the instruments (the bootstrap profile's `init`).
  orchestrator() { "${compose[@]}" --profile bootstrap run --rm --no-deps -T init node dist/apps/orchestrator/main.js "$@"; }
  step "instruments to both shards, then trading on (orchestrator init, start)"
  # A stack brought up before keeps its shards RUNNING (they restore their snapshots): init is for a new one.
  if ! orchestrator status >/dev/null 2>&1; then
    orchestrator init --instruments=/etc/shardex/instruments.json --wait --timeout=5m
    orchestrator start --wait --timeout=2m
  fi
  step "demo API keys (orchestrator keys create)"
  MAKER_KEY=$(orchestrator keys create --user demo-maker --label "stack demo" --json | json_field apiKey)
  TAKER_KEY=$(orchestrator keys create --user demo-taker --label "stack demo" --json | json_field apiKey)
  step "crossing orders over the HTTP API, one symbol per shard"
  bash tools/scripts/ensure-deps.sh >/dev/null
  GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT" MAKER_KEY="$MAKER_KEY" TAKER_KEY="$TAKER_KEY" \
    node -r tsx/cjs tools/scripts/stack-demo.ts
  summary "mysql://shardex:…@mysql:3306/shardex (inside compose)" "docker compose -f docker/compose.yaml logs"
}

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

summary() { # mysql logs
  local base="http://127.0.0.1:$GATEWAY_PORT"
  cat <<EOF

shardex is up ($mode):
  web console    $base/   (paste the demo API key below into its "API key" field to trade)
  API            $base/v1   (OpenAPI docs: $base/docs)
  WebSocket      ws://127.0.0.1:$GATEWAY_PORT/v1/stream
  metrics        $base/metrics (gateway)$([ "$mode" = local ] && echo ", http://127.0.0.1:9464/metrics and :9465/metrics (shards)")
  Kafka / MySQL  ${KAFKA_BROKERS:-kafka:9092} / $1
  logs           $2
  demo API key   $TAKER_KEY   (user demo-taker; send it as the x-api-key header)
  try it         curl -s -H 'x-api-key: $TAKER_KEY' '$base/v1/orders?symbol=BTC-USDT'

stop everything with: npm run stack:down
EOF
}

case "$action" in
  up)
    if [ "$mode" = docker ]; then docker_up; else local_up; fi
    ;;
  down)
    if [ "$mode" = docker ]; then
      docker compose -f docker/compose.yaml down
    else
      stop_app gateway
      for shard in "${SHARDS[@]}"; do stop_app "matching-engine-$shard"; done
      stop_app matching-engine # left by the one-shard stack of earlier versions
      if [ -d node_modules ]; then node tools/infra/bin/infra.cjs down --profile stack; fi
    fi
    ;;
  reset)
    # Everything the local stack stored — MariaDB's and Kafka's data, the apps' logs — not the downloaded jars.
    if [ "$mode" = docker ]; then
      docker compose -f docker/compose.yaml down --volumes
    else
      bash "$0" down
      rm -rf .infra/stack
      echo "stack data deleted (.infra/stack)"
    fi
    ;;
  *)
    echo "usage: stack.sh up|down|reset" >&2
    exit 2
    ;;
esac
