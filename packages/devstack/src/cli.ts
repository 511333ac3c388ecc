#!/usr/bin/env node
import { MockKafkaCluster } from './rdkafka-mock';
import { startStack, stopStack } from './stack';
import { defaultStateFile, readState } from './state';
import { isProcessAlive } from './ports';

const HELP = `Usage: pnpm stack <up|down|status> [--brokers N]

Runs PitchPulse's embedded local stack in the background:
  ClickHouse 18.16 (Debian clickhouse-server), data kept in .local/clickhouse
  Kafka: librdkafka's mock cluster (in memory) with topics match-events (6), .retry (3), .dlq (1)

  up       start the stack (no-op if running) and print its addresses
  down     stop it; waits until its processes have exited and its ports are closed
  status   print the addresses of the running stack, exit 1 if none

Addresses are written to ${defaultStateFile()}; the apps and tests read them from there.
Set KAFKA_BROKERS and CLICKHOUSE_URL to use other servers instead (nothing embedded is started).`;

function print(state: NonNullable<ReturnType<typeof readState>>): void {
  console.log(`KAFKA_BROKERS=${state.kafkaBrokers}`);
  console.log(`CLICKHOUSE_URL=${state.clickhouseUrl}`);
  console.log(`clickhouse-client --port ${state.clickhouseTcpPort}   # native protocol, for analysts`);
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
