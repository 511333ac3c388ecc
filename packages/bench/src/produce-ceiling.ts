/**
 * The batch endpoint's ceiling on this machine: the API's produce path alone — encodeEventMessage and the
 * GroupCommitProducer over kafkajs — with `CONNECTIONS` concurrent sends of `BATCH_SIZE` events, and no HTTP, no
 * JSON parsing, no validation. Run as its own process by ingest.ts (so its CPU is its own), with the producer
 * settings ingest.ts also gives the API (PRODUCE_LINGER_MS, PRODUCE_MAX_BATCH, PRODUCE_MAX_QUEUED,
 * PRODUCE_TIMEOUT_MS, KAFKA_COMPRESSION); prints one JSON line: events/s and CPU µs per event.
 *   KAFKA_BROKERS, KAFKA_TOPIC, DURATION (s), CONNECTIONS, BATCH_SIZE
 */
import { encodeEventMessage } from '@pitchpulse/events';
import { GroupCommitProducer, createKafka, type Compression } from '@pitchpulse/kafka';
import { ingestEvent } from './events';

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function positive(name: string, min = 1): number {
  const value = Number(setting(name));
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
}

async function main(): Promise<void> {
  const topic = setting('KAFKA_TOPIC');
  const seconds = positive('DURATION');
  const connections = positive('CONNECTIONS');
  const batchSize = positive('BATCH_SIZE');
  const producer = new GroupCommitProducer({
    kafka: createKafka({ brokers: setting('KAFKA_BROKERS').split(','), clientId: 'bench-produce-ceiling' }),
    lingerMs: positive('PRODUCE_LINGER_MS', 0),
    maxBatchMessages: positive('PRODUCE_MAX_BATCH'),
    maxQueuedMessages: positive('PRODUCE_MAX_QUEUED'),
    sendTimeoutMs: positive('PRODUCE_TIMEOUT_MS'),
    compression: setting('KAFKA_COMPRESSION') as Compression,
  });
  await producer.connect();
  const batch = Array.from({ length: batchSize }, (_, n) => ingestEvent(n));
  let sent = 0;
  let running = true;
  const sender = async (): Promise<void> => {
    while (running) {
      const receivedAt = Date.now();
      await producer.send(batch.map((e) => ({ topic, ...encodeEventMessage(e, receivedAt) })));
      sent += batchSize;
    }
  };
  // Warm up for a second, then measure.
  const senders = Array.from({ length: connections }, sender);
  await new Promise((r) => setTimeout(r, 1000));
  const sentBefore = sent;
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = (Date.now() - started) / 1000;
  const measured = sent - sentBefore;
  running = false;
  await Promise.all(senders);
  await producer.disconnect();
  process.stdout.write(
    `${JSON.stringify({ eventsPerSec: measured / elapsed, cpuUsPerEvent: (cpu.user + cpu.system) / measured })}\n`,
  );
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
