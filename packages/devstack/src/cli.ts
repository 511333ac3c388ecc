#!/usr/bin/env node
import path from 'node:path';
import { DEFAULT_CLUSTER_NAME } from './clickhouse-cluster';
import { ANALYST_DATABASES, ANALYST_PASSWORD_FILE, ANALYST_PROFILE, ANALYST_USER } from './clickhouse-server';
import { MockKafkaCluster } from './rdkafka-mock';
import { startStack, stopStack } from './stack';
import { defaultStateFile, localDir, readState } from './state';
import { isProcessAlive } from './ports';

const ANALYST_LIMITS =
  `SELECT only, on ${ANALYST_DATABASES.join(', ')}; ${ANALYST_PROFILE.max_execution_time} s and ` +
  `${ANALYST_PROFILE.max_memory_usage / 1e9} GB per query, ${ANALYST_PROFILE.max_concurrent_queries_for_user} at once`;

const HELP = `Usage: pnpm stack <up|down|status> [--brokers N] [--cluster[=NAME]]

Runs PitchPulse's embedded local stack in the background:
  ClickHouse 18.16 (Debian clickhouse-server), data kept in .local/clickhouse
  Kafka: librdkafka's mock cluster (in memory) with topics match-events (6), .retry (3), .dlq (1)

  up       start the stack (no-op if running) and print its addresses
  down     stop it; waits until its processes have exited and its ports are closed
  status   print the addresses of the running stack, exit 1 if none

  --brokers N       (up) N Kafka brokers instead of 1
  --cluster[=NAME]  (up) instead of one ClickHouse server: ZooKeeper (Debian zookeeper) and ClickHouse as
                    2 shards x 2 replicas (nodes s1r1 s1r2 s2r1 s2r2), cluster NAME (default ${DEFAULT_CLUSTER_NAME})
                    for ON CLUSTER and Distributed tables; data kept in .local/clickhouse-cluster.
                    CLICKHOUSE_URL is shard 1 replica 1's; CLICKHOUSE_CLUSTER=NAME tells the apps.
                    down stops the ClickHouse nodes first, then ZooKeeper.

Addresses are written to ${defaultStateFile()}; the apps and tests read them from there.
Set KAFKA_BROKERS and CLICKHOUSE_URL to use other servers instead (nothing embedded is started).

Analysts use the read-only account (${ANALYST_LIMITS});
\`pnpm stack status\` prints the command with the port:
  clickhouse-client --port <port> --user ${ANALYST_USER} --password "$(cat ${path.join(localDir(), 'clickhouse', ANALYST_PASSWORD_FILE)})"
Its password is random, made at the first start and kept in that file (mode 0600); ClickHouse has only its
sha256. New password: pnpm stack down, delete the file, pnpm stack up. With --cluster, every node shares one
password, in ${path.join(localDir(), 'clickhouse-cluster', ANALYST_PASSWORD_FILE)}.`;

function print(state: NonNullable<ReturnType<typeof readState>>): void {
  console.log(`KAFKA_BROKERS=${state.kafkaBrokers}`);
  console.log(`CLICKHOUSE_URL=${state.clickhouseUrl}`);
  const cluster = state.clickhouseCluster;
  if (cluster) console.log(`CLICKHOUSE_CLUSTER=${cluster.name}`);
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
  if (cluster) {
    console.log(`zookeeper: ${cluster.zookeeper.connect}   pid: ${cluster.zookeeper.pid ?? 'stopped'}`);
    for (const n of cluster.nodes) {
      console.log(
        `${n.name}: shard ${n.shard} replica ${n.replica}   ${n.url}   clickhouse-client --port ${n.tcpPort}   ` +
          `pid: ${n.pid ?? 'stopped'}`,
      );
    }
  }
  console.log(`control: ${state.controlUrl}   pid: ${state.pid}   state: ${defaultStateFile()}`);
}

/** `--cluster` → the default cluster, `--cluster=NAME` → NAME; undefined without the flag. */
function clusterFlag(argv: string[]): string | undefined {
  const flag = argv.find((a) => a === '--cluster' || a.startsWith('--cluster='));
  if (flag === undefined) return undefined;
  return flag === '--cluster' ? DEFAULT_CLUSTER_NAME : flag.slice('--cluster='.length);
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
      const cluster = clusterFlag(argv);
      if (cluster !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(cluster)) {
        console.error('--cluster=NAME takes a name of letters, digits and _');
        return 2;
      }
      print(await startStack({ brokers, cluster }));
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
