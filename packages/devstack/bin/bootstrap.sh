#!/usr/bin/env bash
# Installs what PitchPulse needs on a Debian/Ubuntu machine and nothing else:
#   system packages: clickhouse-server (ClickHouse 18.16), librdkafka1 (the Kafka mock cluster),
#   zookeeper (ZooKeeper 3.8 and Java, for `pnpm stack up --cluster`),
#   chromium (headless browser for the dashboard's end-to-end test)
#   pnpm, then the workspace's npm dependencies.
# Idempotent: a machine that has everything only runs `pnpm install`.
set -euo pipefail
cd "$(dirname "$0")/../../.."

PNPM_VERSION=9.15.9
say() { printf '\033[1mbootstrap:\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@";
  else return 77; fi
}

have_clickhouse() { [ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse-server ] || command -v clickhouse-server >/dev/null; }
have_clickhouse_client() { command -v clickhouse-client >/dev/null; }
have_chromium() { [ -x /usr/bin/chromium ]; }
# The cluster's ZooKeeper runs from the package's jars with its Java (packages/devstack/src/zookeeper.ts).
have_zookeeper() { [ -e /usr/share/java/zookeeper.jar ] && [ -x /usr/bin/java ]; }
have_rdkafka() { ldconfig -p 2>/dev/null | grep -q 'librdkafka\.so\.1 ' || [ -e /usr/lib/x86_64-linux-gnu/librdkafka.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/librdkafka.so.1 ]; }

missing=()
have_clickhouse || missing+=(clickhouse-server)
have_clickhouse_client || missing+=(clickhouse-client)
have_rdkafka || missing+=(librdkafka1)
have_zookeeper || missing+=(zookeeper)
have_chromium || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${PITCHPULSE_SKIP_SYSTEM_INSTALL:-}" = 1 ] && [ -n "${KAFKA_BROKERS:-}" ] && [ -n "${CLICKHOUSE_URL:-}" ]; then
    say "external KAFKA_BROKERS/CLICKHOUSE_URL set; not installing ${missing[*]}"
  else
    say "installing system packages: ${missing[*]}"
    had_clickhouse_service=0
    rc=0
    { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
    if [ "$rc" != 0 ]; then
      if [ "$rc" = 77 ]; then
        say "need root or passwordless sudo to install: ${missing[*]}"
        say "run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
      else
        say "apt-get failed (exit $rc) installing: ${missing[*]}"
      fi
      exit 1
    fi
    # Debian starts a system ClickHouse on 8123/9000 after install where systemd runs; PitchPulse starts its own
    # on free ports, so switch the system one off again rather than leave an unused server behind. Debian's
    # `zookeeper` has no service of its own (`zookeeperd` would), but one left by an earlier install goes too.
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      for service in clickhouse-server zookeeper; do
        if [[ " ${missing[*]} " == *" $service "* ]]; then
          as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
        fi
      done
    fi
  fi
fi

if ! command -v pnpm >/dev/null; then
  say "installing pnpm@$PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || as_root npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null || {
    say "could not install pnpm; run: npm install -g pnpm@$PNPM_VERSION"; exit 1; }
fi

if [ "${CI:-}" = true ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=silent
fi
