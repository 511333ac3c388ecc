import type { StoredEvent } from '@pitchpulse/contract';
import { EventRowError, classifyClickHouseError } from './errors';
import { EVENT_COLUMNS, splitDateTime, toEventRow, tsvLine } from './events';

const base: StoredEvent = {
  eventId: '550e8400-e29b-41d4-a716-446655440000',
  matchId: 'match-123',
  eventType: 'goal',
  timestamp: '2024-01-15T14:30:00Z',
  teamId: 1,
  playerId: 'player-456',
  metadata: { minute: 45, scorer: 'Player Name' },
  receivedAt: Date.parse('2024-01-15T14:30:00.250Z'),
};
const insertedAt = new Date('2024-01-15T14:30:01.005Z');

describe('toEventRow', () => {
  it('maps every column, times as UTC DateTime text plus milliseconds', () => {
    const row = toEventRow(base, insertedAt);
    expect(row).toEqual({
      event_id: base.eventId,
      match_id: 'match-123',
      event_type: 'goal',
      event_time: '2024-01-15 14:30:00',
      event_time_ms: 0,
      team_id: 1,
      player_id: 'player-456',
      feed_minute: 45,
      metadata: '{"minute":45,"scorer":"Player Name"}',
      received_at: '2024-01-15 14:30:00',
      received_at_ms: 250,
      inserted_at: '2024-01-15 14:30:01',
      inserted_at_ms: 5,
      anomalies: [],
    });
    expect(Object.keys(row).sort()).toEqual([...EVENT_COLUMNS].sort());
  });

  it('carries the feed-integrity rules the event was flagged with', () => {
    const row = toEventRow({ ...base, anomalies: ['source-velocity', 'clock-skew'] }, insertedAt);
    expect(row.anomalies).toEqual(['source-velocity', 'clock-skew']);
    const fields = tsvLine(row).slice(0, -1).split('\t');
    expect(fields[EVENT_COLUMNS.indexOf('anomalies')]).toBe("['source-velocity','clock-skew']");
    expect(tsvLine(toEventRow(base, insertedAt)).endsWith('\t[]\n')).toBe(true);
    expect(tsvLine(toEventRow(base, insertedAt), false).split('\t')).toHaveLength(EVENT_COLUMNS.length - 1);
  });

  it('converts offsets to UTC and keeps milliseconds', () => {
    expect(toEventRow({ ...base, timestamp: '2024-01-15T16:00:00.123+01:30' }, insertedAt)).toMatchObject({
      event_time: '2024-01-15 14:30:00',
      event_time_ms: 123,
    });
    expect(toEventRow({ ...base, timestamp: '2024-01-01t00:59:59.9999-01:00' }, insertedAt)).toMatchObject({
      event_time: '2024-01-01 01:59:59',
      event_time_ms: 999,
    });
  });

  it('fills optional fields: no player → "", no metadata → "{}", no usable minute → -1', () => {
    const { playerId: _p, metadata: _m, ...bare } = base;
    expect(toEventRow(bare, insertedAt)).toMatchObject({ player_id: '', metadata: '{}', feed_minute: -1 });
    for (const minute of ['45', 45.5, -1, 1001, null, { x: 1 }]) {
      expect(toEventRow({ ...base, metadata: { minute } }, insertedAt).feed_minute).toBe(-1);
    }
    expect(toEventRow({ ...base, metadata: { minute: 0 } }, insertedAt).feed_minute).toBe(0);
    expect(toEventRow({ ...base, metadata: { detail: { minute: 12 } } }, insertedAt).feed_minute).toBe(-1);
  });

  it('rejects what DateTime cannot hold with a data error naming the event', () => {
    for (const timestamp of [
      '1969-12-31T23:59:59Z',
      '2106-02-08T00:00:00Z',
      '2024-02-30T00:00:00Z',
      'yesterday',
    ]) {
      let err: unknown;
      try {
        toEventRow({ ...base, timestamp }, insertedAt);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EventRowError);
      expect((err as EventRowError).eventId).toBe(base.eventId);
      expect(classifyClickHouseError(err)).toBe('data');
    }
    expect(() => toEventRow({ ...base, receivedAt: -1 }, insertedAt)).toThrow(/receivedAt/);
  });
});

describe('tsvLine', () => {
  it('writes the columns in order, escaping what TabSeparated reads as syntax', () => {
    const row = toEventRow({ ...base, playerId: 'a\tb\nc\rd\\e\0f\\N' }, insertedAt);
    const fields = tsvLine(row).slice(0, -1).split('\t');
    expect(fields).toHaveLength(EVENT_COLUMNS.length);
    expect(fields[EVENT_COLUMNS.indexOf('player_id')]).toBe('a\\tb\\nc\\rd\\\\e\\0f\\\\N');
    expect(fields[EVENT_COLUMNS.indexOf('metadata')]).toBe(row.metadata);
    expect(fields[EVENT_COLUMNS.indexOf('inserted_at_ms')]).toBe('5');
    expect(tsvLine(row).endsWith('\n')).toBe(true);
  });
});

describe('splitDateTime', () => {
  // The DateTime text is computed by calendar arithmetic (a hot path): it must equal what Date says.
  const viaDate = (second: number) => {
    const iso = new Date(second * 1000).toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  };

  it('formats every boundary and 100,000 spread seconds of 1970 – 2106 exactly as Date does', () => {
    const boundaries = [
      0, 59, 60, 3599, 3600, 86_399, 86_400, 951_782_399, 951_782_400, 951_868_800, 1_709_251_199,
      1_709_251_200, 4_107_542_399, 4_107_542_400, 4_294_967_295,
    ];
    const spread = Array.from(
      { length: 100_000 },
      (_, i) => Math.floor((i * 4_294_967_295) / 99_999) - (i % 7),
    );
    const wrong = [...boundaries, ...spread.filter((s) => s >= 0)]
      .map((second) => ({
        second,
        got: splitDateTime(second * 1000 + 123, 'test'),
        want: [viaDate(second), 123],
      }))
      .filter(({ got, want }) => got[0] !== want[0] || got[1] !== want[1]);
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
