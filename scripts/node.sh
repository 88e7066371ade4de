#!/usr/bin/env bash
# Runs node for the npm scripts, first putting Node 24 on PATH when the machine's Node is older than
# the project needs (scripts/ensure-node.sh), so `npm install && npm start` works on a Node 20 machine.
# shellcheck source=ensure-node.sh
source "$(dirname "$0")/ensure-node.sh" >&2 || exit 1
exec node "$@"
