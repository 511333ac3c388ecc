import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackControl } from '@pitchpulse/devstack';
import { decodeEventMessage } from '@pitchpulse/events';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { importMain } from '../cli/import-command';

const brokers = (): string => process.env.KAFKA_BROKERS!;

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
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await importMain([
        file,
        '--kafka',
        brokers(),
        '--topic',
        topic,
        '--batch',
        '7',
        '--no-progress',
      ]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(code).toBe(1); // one row rejected

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
});
