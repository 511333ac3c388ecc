import type { ClickHouseClient } from '@clickhouse/client';
import { EventRowError, classifyClickHouseError } from './errors';
import { insertRetractions } from './retractions';

describe('insertRetractions', () => {
  it('refuses a receive time DateTime cannot hold as a data error, before sending anything', async () => {
    const insert = jest.fn();
    const client = { insert } as unknown as ClickHouseClient;
    const late = Date.UTC(2200, 0, 1);
    const attempt = insertRetractions(client, [
      {
        kind: 'retraction',
        eventId: '00000000-0000-4000-8000-000000000001',
        matchId: 'm',
        reason: 'x',
        receivedAt: late,
      },
    ]);
    await expect(attempt).rejects.toThrow(EventRowError);
    await expect(attempt).rejects.toThrow(
      /retraction of 00000000-0000-4000-8000-000000000001 cannot be stored/,
    );
    expect(classifyClickHouseError(await attempt.catch((err: unknown) => err))).toBe('data');
    expect(insert).not.toHaveBeenCalled();
  });
});
