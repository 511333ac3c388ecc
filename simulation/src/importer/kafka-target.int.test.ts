import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackControl } from '@pitchpulse/devstack';
import { decodeEventMessage, decodeRecordMessage } from '@pitchpulse/events';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { importMain } from '../cli/import-command';

const brokers = (): string => process.env.KAFKA_BROKERS!;

/** Runs `pnpm run import <file> --kafka … --topic <topic>` quietly; resolves to its exit status. */
async function importToKafka(file: string, topic: string, ...extra: string[]): Promise<number> {
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await importMain([file, '--kafka', brokers(), '--topic', topic, '--no-progress', ...extra]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('pnpm run import --kafka against the embedded broker', () => {
  const topic = `import-int-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await StackControl.fromEnv().createTopic(topic, 3);
  });

  it('writes every valid row to the topic in the API’s message format, keyed by matchId', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pitchpulse-import-kafka-'));
    const file = join(dir, 'feed.csv');
    const rows = ['eventId,matchId,eventType,timestamp,teamId,playerId,metadata'];
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) {
      const eventId = randomUUID();
      ids.push(eventId);
      rows.push(
        `${eventId},hist-k${n % 3},shot,2023-08-12T15:${String(n).padStart(2, '0')}:00.250Z,${(n % 2) + 1},p${n},"{""minute"":${n}}"`,
      );
    }
    rows.push(`${randomUUID()},hist-k0,shot,2023-08-12T15:00:00Z,3,,`); // rejected, never written
    writeFileSync(file, `${rows.join('\n')}\n`);
    expect(await importToKafka(file, topic, '--batch', '7')).toBe(1); // one row rejected

    const kafka = createKafka({ brokers: brokers().split(','), clientId: 'import-int-read' });
    const messages = await readTopic(kafka, topic, { count: 30, timeoutMs: 20_000 });
    expect(messages).toHaveLength(30);
    const decoded = messages.map((m) => ({ key: m.key, event: decodeEventMessage(m.value) }));
    expect(new Set(decoded.map((d) => d.event.eventId))).toEqual(new Set(ids));
    for (const { key, event } of decoded) {
      expect(key).toBe(event.matchId);
      expect(event.receivedAt).toBeGreaterThan(Date.now() - 120_000);
      expect(event.timestamp).toMatch(/\.250Z$/);
    }
  });

  it('writes retraction rows as retraction messages on the same topic, keyed by matchId', async () => {
    const retractionTopic = `import-int-r-${randomUUID().slice(0, 8)}`;
    await StackControl.fromEnv().createTopic(retractionTopic, 3);
    const dir = mkdtempSync(join(tmpdir(), 'pitchpulse-import-kafka-'));
    const file = join(dir, 'feed.ndjson');
    const goals = [randomUUID(), randomUUID()];
    const lines = [
      ...goals.map((eventId) =>
        JSON.stringify({
          eventId,
          matchId: 'hist-r1',
          eventType: 'goal',
          timestamp: '2023-08-12T15:00:00Z',
          teamId: 1,
        }),
      ),
      JSON.stringify({ kind: 'retraction', eventId: goals[1], matchId: 'hist-r1', reason: 'VAR: offside' }),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(await importToKafka(file, retractionTopic)).toBe(0);

    const kafka = createKafka({ brokers: brokers().split(','), clientId: 'import-int-read-r' });
    const messages = await readTopic(kafka, retractionTopic, { count: 3, timeoutMs: 20_000 });
    const records = messages.map((m) => ({ key: m.key, record: decodeRecordMessage(m.value) }));
    expect(records.filter((r) => r.record.kind === 'event')).toHaveLength(2);
    const retractions = records.filter((r) => r.record.kind === 'retraction');
    expect(retractions).toEqual([
      {
        key: 'hist-r1',
        record: {
          kind: 'retraction',
          retraction: {
            kind: 'retraction',
            eventId: goals[1],
            matchId: 'hist-r1',
            reason: 'VAR: offside',
            receivedAt: expect.any(Number),
          },
        },
      },
    ]);
  });
});
