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
ls "$OUT/node_modules/@astria/db/migrations" | grep -q . || { echo "missing @astria/db/migrations" >&2; exit 1; }
leaked="$(find "$OUT/node_modules/.pnpm" -maxdepth 1 \( -name 'vitest@*' -o -name 'vite@*' -o -name 'typescript@*' \) -printf '%f ' 2>/dev/null || true)"
[ -z "$leaked" ] || echo "WARNING: build/test tools in the production folder (via a dependency's peer): $leaked"
echo "deployed folder: $(du -sh "$OUT" | cut -f1), migrations: $(ls "$OUT/node_modules/@astria/db/migrations" | tr '\n' ' ')"

step "node dist/main.js with an empty environment must fail fast on configuration (exit 78)"
set +e
(cd "$OUT" && env -i PATH="$PATH" NODE_ENV=production EVENT_TRANSPORT=servicebus node dist/main.js) >"$WORK/main.log" 2>&1
code=$?
set -e
sed 's/^/   /' "$WORK/main.log" | head -20
[ "$code" = 78 ] || { echo "expected exit 78 (configuration), got $code" >&2; exit 1; }

step "migrate CLI resolves its migrations from the deployed folder (PGlite in a scratch dir)"
(cd "$OUT" && env -i PATH="$PATH" PGLITE_DATA_DIR="$WORK/pglite" node node_modules/@astria/db/dist/cli.js)

echo
echo "OK: $SERVICE builds and deploys as the Dockerfile does"
