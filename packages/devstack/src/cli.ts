#!/usr/bin/env node
import path from 'node:path';
import { ANALYST_DATABASES, ANALYST_PASSWORD_FILE, ANALYST_PROFILE, ANALYST_USER } from './clickhouse-server';
import { MockKafkaCluster } from './rdkafka-mock';
import { startStack, stopStack } from './stack';
import { defaultStateFile, localDir, readState } from './state';
import { isProcessAlive } from './ports';

const ANALYST_LIMITS =
  `SELECT only, on ${ANALYST_DATABASES.join(', ')}; ${ANALYST_PROFILE.max_execution_time} s and ` +
  `${ANALYST_PROFILE.max_memory_usage / 1e9} GB per query, ${ANALYST_PROFILE.max_concurrent_queries_for_user} at once`;

const HELP = `Usage: pnpm stack <up|down|status> [--brokers N]

Runs PitchPulse's embedded local stack in the background:
  ClickHouse 18.16 (Debian clickhouse-server), data kept in .local/clickhouse
  Kafka: librdkafka's mock cluster (in memory) with topics match-events (6), .retry (3), .dlq (1)

  up       start the stack (no-op if running) and print its addresses
  down     stop it; waits until its processes have exited and its ports are closed
  status   print the addresses of the running stack, exit 1 if none

Addresses are written to ${defaultStateFile()}; the apps and tests read them from there.
Set KAFKA_BROKERS and CLICKHOUSE_URL to use other servers instead (nothing embedded is started).

Analysts use the read-only account (${ANALYST_LIMITS});
\`pnpm stack status\` prints the command with the port:
  clickhouse-client --port <port> --user ${ANALYST_USER} --password "$(cat ${path.join(localDir(), 'clickhouse', ANALYST_PASSWORD_FILE)})"
Its password is random, made at the first start and kept in that file (mode 0600); ClickHouse has only its
sha256. New password: pnpm stack down, delete the file, pnpm stack up.`;

function print(state: NonNullable<ReturnType<typeof readState>>): void {
  console.log(`KAFKA_BROKERS=${state.kafkaBrokers}`);
  console.log(`CLICKHOUSE_URL=${state.clickhouseUrl}`);
  const { clickhouseTcpPort: port, clickhouseAnalystUser: user, clickhouseAnalystPasswordFile: file } = state;
  if (user && file) {
    console.log(`CLICKHOUSE_ANALYST_USER=${user}`);
    console.log(`CLICKHOUSE_ANALYST_PASSWORD_FILE=${file}`);
  }
  console.log(`clickhouse-client --port ${port}   # native protocol, user default: full access`);
  if (user && file) {
    console.log(
      `clickhouse-client --port ${port} --user ${user} --password "$(cat ${file})"   # analysts: ${ANALYST_LIMITS}`,
    );
  } else {
    console.log('(no analyst account: this stack was started by an older version; pnpm stack down, then up)');
  }
  console.log(`control: ${state.controlUrl}   pid: ${state.pid}   state: ${defaultStateFile()}`);
}

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  const brokersAt = argv.indexOf('--brokers');
  const brokers = brokersAt >= 0 ? Number(argv[brokersAt + 1]) : undefined;
  switch (command) {
    case 'up': {
      if (brokers !== undefined && !(Number.isInteger(brokers) && brokers > 0)) {
        console.error('--brokers takes a positive whole number');
        return 2;
      }
      print(await startStack({ brokers }));
      return 0;
    }
    case 'down': {
      const stopped = await stopStack();
      console.log(stopped ? 'stack stopped' : 'no stack running');
      return 0;
    }
    case 'status': {
      const state = readState();
      if (!state || !isProcessAlive(state.pid)) {
        console.log('no stack running');
        return 1;
      }
      print(state);
      console.log(`librdkafka ${MockKafkaCluster.librdkafkaVersion()}`);
      return 0;
    }
    default:
      console.log(HELP);
      return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`stack: ${err.message}`);
    process.exit(1);
  },
);
