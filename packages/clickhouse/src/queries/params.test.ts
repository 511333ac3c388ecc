import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { getHighlights } from './highlights';
import { listMatches } from './matches';
import { getMatchMetrics } from './metrics';
import { getTopPlayers } from './players';
import { getTimeline } from './timeline';

/** Parameters are checked before any request: this client would fail the test if it were ever used. */
const client = new Proxy({} as ClickHouseClient, {
  get() {
    throw new Error('no request expected');
  },
});
const caps: ClickHouseCapabilities = { version: 'n/a', nativeParams: true, database: 'default' };

describe('read query parameters are validated before any request', () => {
  it.each([
    ['limit 0', () => listMatches(client, caps, { limit: 0, offset: 0 }), /limit/],
    ['limit 1.5', () => listMatches(client, caps, { limit: 1.5, offset: 0 }), /limit/],
    ['limit too big', () => listMatches(client, caps, { limit: 1001, offset: 0 }), /limit/],
    ['negative offset', () => listMatches(client, caps, { limit: 10, offset: -1 }), /offset/],
    [
      'live window',
      () => listMatches(client, caps, { limit: 10, offset: 0, liveWindowMinutes: -5 }),
      /liveWindow/,
    ],
    [
      'bucket',
      () => getTimeline(client, caps, { matchId: 'm', bucket: '2m' as never }),
      /bucket must be one of 1m, 5m/,
    ],
    [
      'bucket from prototype',
      () => getTimeline(client, caps, { matchId: 'm', bucket: 'toString' as never }),
      /bucket/,
    ],
    ['highlights limit', () => getHighlights(client, caps, { matchId: 'm', limit: 0, offset: 0 }), /limit/],
    ['players limit', () => getTopPlayers(client, caps, { matchId: 'm', limit: 101 }), /limit/],
    [
      'players sort',
      () => getTopPlayers(client, caps, { matchId: 'm', limit: 5, by: 'name' as never }),
      /by must be/,
    ],
    [
      'matchId type',
      () => getMatchMetrics(client, caps, { matchId: 42 as never }),
      /matchId must be a string/,
    ],
  ])('%s', async (_name, run, message) => {
    await expect(run()).rejects.toThrow(message);
  });
});
