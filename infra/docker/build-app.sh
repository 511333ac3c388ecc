#!/usr/bin/env bash
# Builds one app into a self-contained folder: `node dist/main.js` runs it, `node healthcheck.js` probes it.
#
#   infra/docker/build-app.sh <api|consumer|enricher> <outdir>
#
# These are the image build's steps (infra/docker/Dockerfile runs this very script), so CI can run them without
# a Docker engine and the two cannot drift:
#   1. stage   copy the build context (the repo minus what .dockerignore excludes) to a scratch folder;
#              skipped with BUILD_APP_IN_PLACE=1, as in the Dockerfile, whose context already is such a copy
#   2. install pnpm install --frozen-lockfile (offline first: the store usually has every package)
#   3. build   tsc -b apps/<app>: the app and the workspace packages it references (api: + the dashboard page)
#   4. deploy  pnpm deploy --prod: the app, its workspace packages and production dependencies only
#   5. prune   sources, tests, source maps and build info are not needed at run time
set -euo pipefail

usage() { echo "usage: $0 <api|consumer|enricher> <outdir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
app=$1
out=$2
case "$app" in api | consumer | enricher) ;; *) echo "unknown app \"$app\": expected api, consumer or enricher" >&2; usage ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "output folder $out exists and is not empty" >&2
  exit 1
fi
say() { printf 'build-app(%s): %s\n' "$app" "$*" >&2; }

if [ "${BUILD_APP_IN_PLACE:-0}" = 1 ]; then
  work=$root
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/pitchpulse-build-$app.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  excludes=()
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    line=$(printf '%s' "$line" | tr -d '[:space:]')
    [ -n "$line" ] && excludes+=("--exclude=${line#\*\*/}")
  done <"$root/.dockerignore"
  say "stage: copying the build context to $work"
  tar -C "$root" "${excludes[@]}" -cf - . | tar -C "$work" -xf -
fi
cd "$work"

say "install: pnpm install --frozen-lockfile"
CI=true pnpm install --frozen-lockfile --prefer-offline --reporter=append-only

say "build: tsc -b apps/$app"
pnpm exec tsc -b "apps/$app"
if [ "$app" = api ]; then
  # The api serves the dashboard's static build at /; pnpm deploy ships the dashboard package's dist/ only.
  say "build: the dashboard page"
  pnpm --filter @pitchpulse/dashboard run build
fi

say "deploy: pnpm deploy --prod $out"
pnpm --filter "@pitchpulse/$app" deploy --prod "$out" --reporter=append-only

say "prune"
rm -rf "$out/src" "$out/tsconfig.json"
find "$out/dist" \( -name '*.test.*' -o -name '*.map' -o -name '*.tsbuildinfo' \) -delete
cp "$root/infra/docker/healthcheck.js" "$out/healthcheck.js"
if [ ! -f "$out/dist/main.js" ]; then
  echo "build-app: $out/dist/main.js is missing: apps/$app has no src/main.ts entry point" >&2
  exit 1
fi
say "done: $(du -sh "$out" | cut -f1) in $out; run: (cd $out && node dist/main.js)"
