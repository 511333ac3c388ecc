/**
 * Compressed inserts against the embedded ClickHouse 18.16: a recording proxy in front of the server shows what
 * went over the wire (Content-Encoding and body bytes), the table shows that the server decoded it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClickHouseClient, type ClickHouseCompression } from './client';
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { buildEvents, clickhouseUrl, uniqueDatabase } from './testing';

jest.setTimeout(120_000);

interface Seen {
  query: string;
  encoding: string | undefined;
  bytes: number;
}

/** Forwards every request to ClickHouse untouched and records its query, encoding and body size. */
async function recordingProxy(
  target: URL,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const entry: Seen = {
      query: new URL(req.url!, 'http://x').searchParams.get('query') ?? '',
      encoding: req.headers['content-encoding'],
      bytes: 0,
    };
    seen.push(entry);
    req.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('compressed inserts into ClickHouse 18.16', () => {
  const database = uniqueDatabase('compression');
  const events = buildEvents();
  const half = Math.floor(events.length / 2);
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  const clientWith = (compression: ClickHouseCompression) =>
    createClickHouseClient({ url: proxy.url, database, compression });

  beforeAll(async () => {
    proxy = await recordingProxy(new URL(clickhouseUrl()));
    const admin = createClickHouseClient({ url: clickhouseUrl(), database });
    await runMigrations(admin, { database });
    await admin.close();
  });

  afterAll(async () => {
    const admin = createClickHouseClient({ url: clickhouseUrl(), database });
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await admin.close();
    await proxy.close();
  });

  it('gzip bodies are decoded by the server, every row stored, at a fraction of the plain bytes', async () => {
    const gzip = clientWith('gzip');
    const plain = clientWith('none');
    try {
      await insertEvents(gzip, events.slice(0, half));
      await insertEvents(plain, events.slice(half));
      const result = await plain.query({
        query: `SELECT event_id FROM ${database}.events ORDER BY event_id`,
        format: 'JSONEachRow',
      });
      const stored = (await result.json<{ event_id: string }>()).map((r) => r.event_id).sort();
      expect(stored).toEqual(events.map((e) => e.eventId).sort());
    } finally {
      await Promise.all([gzip.close(), plain.close()]);
    }

    const inserts = proxy.seen.filter((s) => s.query.startsWith('INSERT INTO'));
    expect(inserts.map((s) => s.encoding)).toEqual(['gzip', undefined]);
    const perEvent = [inserts[0]!.bytes / half, inserts[1]!.bytes / (events.length - half)];
    expect(perEvent[0]).toBeLessThan(perEvent[1]! / 3);
  });
});
