#!/usr/bin/env bash
# Runs the Dockerfile's build steps without a Docker engine, in a scratch directory, for one service:
#   turbo prune --docker → pnpm install --frozen-lockfile → turbo build → pnpm deploy --prod --legacy
# then checks the deployed folder: dist/main.js, @astria/db's CLI and migrations, and that
# `node dist/main.js` starts far enough to reject an empty configuration (exit 78, every problem listed).
# Usage: infra/docker/verify-without-docker.sh <message-service|image-service|payment-service|maintenance-service>
set -euo pipefail
SERVICE="${1:?usage: $0 <service>}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d -t astria-image-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export CI=true TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
TURBO="$ROOT/node_modules/.bin/turbo"

START=$SECONDS
step() { printf '\n== [%3ss] %s\n' "$((SECONDS - START))" "$*"; }

step "copy the build context (what .dockerignore lets through)"
mkdir -p "$WORK/context"
tar -C "$ROOT" --exclude=node_modules --exclude=.git --exclude=.turbo --exclude=dist --exclude=.data \
  --exclude='*.tsbuildinfo' --exclude=coverage --exclude=test-artifacts -cf - . | tar -C "$WORK/context" -xf -

step "turbo prune @astria/$SERVICE --docker"
(cd "$WORK/context" && "$TURBO" prune "@astria/$SERVICE" --docker --out-dir "$WORK/pruned" >/dev/null)

step "pnpm install --frozen-lockfile (manifests only)"
mkdir -p "$WORK/repo"
cp -a "$WORK/pruned/json/." "$WORK/repo/"
(cd "$WORK/repo" && pnpm install --frozen-lockfile --reporter=silent)

step "turbo run build --filter=@astria/$SERVICE..."
cp -a "$WORK/pruned/full/." "$WORK/repo/"
cp "$WORK/context/tsconfig.base.json" "$WORK/repo/"
(cd "$WORK/repo" && pnpm turbo run build --filter="@astria/$SERVICE..." --output-logs=errors-only >/dev/null)

step "pnpm deploy --prod --legacy"
(cd "$WORK/repo" && pnpm --filter "@astria/$SERVICE" deploy --prod --legacy "$WORK/out" --reporter=silent)
OUT="$WORK/out"
test -f "$OUT/dist/main.js" || { echo "missing dist/main.js" >&2; exit 1; }
test -f "$OUT/node_modules/@astria/db/dist/cli.js" || { echo "missing @astria/db/dist/cli.js" >&2; exit 1; }
MIGRATIONS="$OUT/node_modules/@astria/db/migrations"
[ -n "$(find "$MIGRATIONS" -mindepth 1 -maxdepth 1 -print -quit 2>/dev/null)" ] || { echo "missing @astria/db/migrations" >&2; exit 1; }
leaked="$(find "$OUT/node_modules/.pnpm" -maxdepth 1 \( -name 'vitest@*' -o -name 'vite@*' -o -name 'typescript@*' \) -printf '%f ' 2>/dev/null || true)"
[ -z "$leaked" ] || echo "WARNING: build/test tools in the production folder (via a dependency's peer): $leaked"
if [ "$SERVICE" = maintenance-service ]; then
  # The CronJobs run `node dist/cli.js cleanup|reconcile` in this image.
  (cd "$OUT" && node dist/cli.js --help | head -1)
fi
echo "deployed folder: $(du -sh "$OUT" | cut -f1), migrations: $(find "$MIGRATIONS" -mindepth 1 -maxdepth 1 -printf '%f ')"

step "node dist/main.js with an empty environment must fail fast on configuration (exit 78)"
set +e
(cd "$OUT" && env -i PATH="$PATH" NODE_ENV=production EVENT_TRANSPORT=servicebus node dist/main.js) >"$WORK/main.log" 2>&1
code=$?
set -e
sed 's/^/   /' "$WORK/main.log" | head -20
[ "$code" = 78 ] || { echo "expected exit 78 (configuration), got $code" >&2; exit 1; }

step "migrate CLI resolves its migrations from the deployed folder (PGlite in a scratch dir)"
(cd "$OUT" && env -i PATH="$PATH" PGLITE_DATA_DIR="$WORK/pglite" node node_modules/@astria/db/dist/cli.js)

step "node dist/main.js with a valid configuration serves /health/live (the image's HEALTHCHECK) and stops on SIGTERM"
cp "$ROOT/infra/docker/healthcheck.mjs" "$OUT/healthcheck.mjs"
PORT="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
# Every service's required settings (each schema ignores the others'); PGlite and the memory transport.
(cd "$OUT" && exec env -i PATH="$PATH" NODE_ENV=production SERVICE_NAME="$SERVICE" HOST=127.0.0.1 PORT="$PORT" \
  PGLITE_DATA_DIR="$WORK/pglite" RUN_MIGRATIONS=true EVENT_TRANSPORT=memory LOG_LEVEL=warn \
  WHATSAPP_API_URL=http://127.0.0.1:9/v23.0 WHATSAPP_NUMBER_ID=1 WHATSAPP_API_KEY=k WHATSAPP_APP_SECRET=s \
  WHATSAPP_VERIFY_TOKEN=v ASTRIA_API_URL=http://127.0.0.1:9 ASTRIA_API_KEY=k LITE_TIER_PRICE=1 STANDARD_TIER_PRICE=2 \
  PREMIUM_TIER_PRICE=3 LITE_TIER_PAYMENT_LINK=https://pay.example.com/l STANDARD_TIER_PAYMENT_LINK=https://pay.example.com/s \
  PREMIUM_TIER_PAYMENT_LINK=https://pay.example.com/p SUPPORT_CONTACT=support@example.com \
  PUBLIC_BASE_URL=http://127.0.0.1:9 CALLBACK_SIGNING_SECRET=0123456789abcdef0123456789abcdef UPDATE_IMAGES_TOKEN=t \
  BLOB_LOCAL_DIR="$WORK/blobs" SUMIT_WEBHOOK_TOKEN=t STRIPE_WEBHOOK_SECRET=whsec_x SCHEDULER_ENABLED=false \
  node dist/main.js) >"$WORK/serve.log" 2>&1 &
pid=$!
healthy=""
for _ in $(seq 1 60); do
  if (cd "$OUT" && SERVICE_NAME="$SERVICE" PORT="$PORT" node healthcheck.mjs); then healthy=yes; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$healthy" ]; then
  kill "$pid" 2>/dev/null || true
  sed 's/^/   /' "$WORK/serve.log" | tail -30
  echo "the deployed service never answered /health/live" >&2; exit 1
fi
echo "   /health/live answered on port $PORT; ready: $(node -e "fetch('http://127.0.0.1:$PORT/health/ready').then(r=>console.log(r.status))")"
kill -TERM "$pid"
set +e
wait "$pid"
code=$?
set -e
echo "   exit after SIGTERM: $code"
[ "$code" = 0 ] || { sed 's/^/   /' "$WORK/serve.log" | tail -30; echo "unclean shutdown" >&2; exit 1; }

echo
echo "OK: $SERVICE builds and deploys as the Dockerfile does"
