#!/usr/bin/env bash
# npm run edge:dev: the worker in workerd on 127.0.0.1:${EDGE_PORT:-8787}, forwarding to ${ORIGIN_URL}
# (default: the local API on 127.0.0.1:4000). Everything comes from the environment, so it runs next to
# `npm run dev` with no file edits. Local only: no Cloudflare account, no telemetry, no downloads.
set -euo pipefail
cd "$(dirname "$0")"
# miniflare 4 needs Node 22+: put the project's Node 24 on PATH on older machines.
# shellcheck source=../scripts/ensure-node.sh
source ../scripts/ensure-node.sh >&2
# Offline and quiet: no telemetry, no update check (it comes with the banner), no download of the
# Request.cf sample from workers.cloudflare.com (Miniflare's placeholder is used instead).
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false
secret="${EDGE_SHARED_SECRET:-}"
if [ -z "$secret" ]; then
  echo "edge:dev: EDGE_SHARED_SECRET is unset: the worker will answer 503 edge_misconfigured until it is set (the same value as the API's)" >&2
fi
args=(
  dev --local
  --ip 127.0.0.1
  --port "${EDGE_PORT:-8787}"
  --var "ORIGIN_URL:${ORIGIN_URL:-http://127.0.0.1:4000}"
  --var "EDGE_SHARED_SECRET:${secret}"
)
# Optional settings pass through only when set; otherwise wrangler.toml's [vars] apply.
for name in FIREBLOCKS_WEBHOOK_PUBLIC_KEYS FIREBLOCKS_JWKS_URL ALLOWED_SOURCE_IPS MAX_BODY_BYTES WEBHOOK_PATHS ORIGIN_TIMEOUT_MS JWKS_MIN_REFRESH_SECONDS; do
  if [ -n "${!name:-}" ]; then args+=(--var "${name}:${!name}"); fi
done
exec ../node_modules/.bin/wrangler "${args[@]}" "$@"
