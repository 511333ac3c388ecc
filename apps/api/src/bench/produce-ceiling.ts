/**
 * The batch endpoint's ceiling on this machine: the API's produce path alone — encodeEventMessage and the
 * GroupCommitProducer over kafkajs with the API's default settings, `CONNECTIONS` concurrent sends of
 * `BATCH_SIZE` events — with no HTTP, no JSON parsing and no validation. Run as its own process by
 * bench/ingest.ts (so its CPU is its own); prints one JSON line: events/s and CPU µs per event.
 *   KAFKA_BROKERS, KAFKA_TOPIC, DURATION (s), CONNECTIONS, BATCH_SIZE
 */
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, encodeEventMessage, type MatchEvent } from '@pitchpulse/events';
import { GroupCommitProducer, createKafka } from '@pitchpulse/kafka';
import { parseConfig } from '../config';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

function events(count: number): MatchEvent[] {
  return Array.from({ length: count }, (_, n) => ({
    eventId: randomUUID(),
    matchId: `bench-${n % 64}`,
    eventType: EVENT_TYPES[n % EVENT_TYPES.length]!,
    timestamp: `2024-01-15T14:${String(n % 60).padStart(2, '0')}:00.${String(n % 1000).padStart(3, '0')}Z`,
    teamId: n % 2 === 0 ? 1 : 2,
    playerId: `player-${n % 22}`,
    metadata: { minute: n % 90, seq: n },
  }));
}

async function main(): Promise<void> {
  const topic = env('KAFKA_TOPIC');
  const seconds = Number(env('DURATION'));
  const connections = Number(env('CONNECTIONS'));
  const batchSize = Number(env('BATCH_SIZE'));
  const { kafka: settings } = parseConfig(process.env); // the API's producer settings and defaults
  const producer = new GroupCommitProducer({
    kafka: createKafka({ brokers: settings.brokers, clientId: 'bench-produce-ceiling' }),
    lingerMs: settings.lingerMs,
    maxBatchMessages: settings.maxBatchMessages,
    maxQueuedMessages: settings.maxQueuedMessages,
    sendTimeoutMs: settings.produceTimeoutMs,
    compression: settings.compression,
  });
  await producer.connect();
  const batch = events(batchSize);
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
    `${JSON.stringify({
      eventsPerSec: measured / elapsed,
      cpuUsPerEvent: (cpu.user + cpu.system) / measured,
    })}\n`,
  );
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
