import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { listHighlights } from './highlights';
import { matchPage } from './matches';
import { matchMetrics } from './metrics';
import { topPlayers } from './players';
import { timeline } from './timeline';

/** Parameters are checked before any request: this client would fail the test if it were ever used. */
const client = new Proxy({} as ClickHouseClient, {
  get() {
    throw new Error('no request expected');
  },
});
const caps: ClickHouseCapabilities = { version: 'n/a', nativeParams: true, database: 'default' };

describe('read query parameters are validated before any request', () => {
  it.each([
    ['limit 0', () => matchPage(client, caps, { limit: 0, offset: 0 }), /limit/],
    ['limit 1.5', () => matchPage(client, caps, { limit: 1.5, offset: 0 }), /limit/],
    ['limit too big', () => matchPage(client, caps, { limit: 1001, offset: 0 }), /limit/],
    ['negative offset', () => matchPage(client, caps, { limit: 10, offset: -1 }), /offset/],
    [
      'live window',
      () => matchPage(client, caps, { limit: 10, offset: 0, liveWindowMinutes: -5 }),
      /liveWindow/,
    ],
    [
      'bucket',
      () => timeline(client, caps, { matchId: 'm', bucket: '2m' as never }),
      /bucket must be one of 1m, 5m/,
    ],
    [
      'bucket from prototype',
      () => timeline(client, caps, { matchId: 'm', bucket: 'toString' as never }),
      /bucket/,
    ],
    ['highlights limit', () => listHighlights(client, caps, { matchId: 'm', limit: 0, offset: 0 }), /limit/],
    [
      'highlights status',
      () => listHighlights(client, caps, { status: 'DONE' as never, limit: 5, offset: 0 }),
      /status must be one of PENDING, READY, FAILED, RETRACTED/,
    ],
    ['players limit', () => topPlayers(client, caps, { matchId: 'm', limit: 101 }), /limit/],
    [
      'players sort',
      () => topPlayers(client, caps, { matchId: 'm', limit: 5, by: 'name' as never }),
      /by must be/,
    ],
    ['matchId type', () => matchMetrics(client, caps, { matchId: 42 as never }), /matchId must be a string/],
  ])('%s', async (_name, run, message) => {
    await expect(run()).rejects.toThrow(message);
  });
});
