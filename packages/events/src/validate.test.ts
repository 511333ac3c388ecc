import { EVENT_TYPES, MAX_BATCH_EVENTS, type FieldError } from '@pitchpulse/contract';
import { validateBatch, validateEvent } from './index';

const valid = {
  eventId: '550e8400-e29b-41d4-a716-446655440000',
  matchId: 'match-123',
  eventType: 'goal',
  timestamp: '2024-01-15T14:30:00Z',
  teamId: 1,
  playerId: 'player-456',
  metadata: { minute: 45, scorer: 'Player Name' },
};

function errorsOf(input: unknown): FieldError[] {
  const result = validateEvent(input);
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.errors;
}

describe('validateEvent', () => {
  it('accepts the contract example and each event type', () => {
    expect(validateEvent(valid)).toEqual({ ok: true, value: valid });
    for (const eventType of EVENT_TYPES) expect(validateEvent({ ...valid, eventType }).ok).toBe(true);
  });

  it('accepts the optional fields being absent and offsets / milliseconds in timestamps', () => {
    const { playerId: _p, metadata: _m, ...minimal } = valid;
    expect(validateEvent(minimal).ok).toBe(true);
    expect(validateEvent({ ...valid, timestamp: '2024-01-15T14:30:00.123+02:00' }).ok).toBe(true);
  });

  it.each([
    ['eventId', { eventId: 'not-a-uuid' }, '/eventId', 'must be a UUID'],
    ['eventId type', { eventId: 42 }, '/eventId', 'must be string'],
    ['matchId empty', { matchId: '' }, '/matchId', 'must NOT have fewer than 1 characters'],
    ['matchId long', { matchId: 'm'.repeat(65) }, '/matchId', 'must NOT have more than 64 characters'],
    [
      'matchId chars',
      { matchId: "m'; DROP TABLE events" },
      '/matchId',
      'must be 1–64 characters of A–Z a–z 0–9 . _ : -',
    ],
    [
      'eventType',
      { eventType: 'throw_in' },
      '/eventType',
      `must be one of ${EVENT_TYPES.map((t) => `"${t}"`).join(', ')}`,
    ],
    [
      'timestamp no zone',
      { timestamp: '2024-01-15T14:30:00' },
      '/timestamp',
      expect.stringContaining('RFC 3339'),
    ],
    ['timestamp date only', { timestamp: '2024-01-15' }, '/timestamp', expect.stringContaining('RFC 3339')],
    [
      'timestamp impossible day',
      { timestamp: '2024-02-30T10:00:00Z' },
      '/timestamp',
      expect.stringContaining('RFC 3339'),
    ],
    [
      // accepted once and then refused by the row mapper: the API and the consumer now share one parser
      'timestamp offset without a colon',
      { timestamp: '2024-01-15T14:30:00+0100' },
      '/timestamp',
      expect.stringContaining('RFC 3339'),
    ],
    [
      'timestamp before 1970',
      { timestamp: '1969-12-31T23:59:59Z' },
      '/timestamp',
      expect.stringContaining('between 1970'),
    ],
    [
      'timestamp after 2105',
      { timestamp: '2106-01-01T00:00:00Z' },
      '/timestamp',
      expect.stringContaining('between 1970'),
    ],
    ['teamId 3', { teamId: 3 }, '/teamId', 'must be 1 or 2'],
    ['teamId string', { teamId: '1' }, '/teamId', 'must be integer'],
    ['playerId long', { playerId: 'p'.repeat(65) }, '/playerId', 'must NOT have more than 64 characters'],
    ['metadata array', { metadata: [1] }, '/metadata', 'must be object'],
    [
      'metadata big',
      { metadata: { text: 'x'.repeat(4100) } },
      '/metadata',
      'must be at most 4096 bytes as JSON',
    ],
    ['unknown field', { teamID: 1 }, '/teamID', 'is not a known field (unknown fields are rejected)'],
  ])('rejects %s, naming the field', (_name, patch, path, message) => {
    expect(errorsOf({ ...valid, ...patch })).toContainEqual({ path, message });
  });

  it('lists every missing required field', () => {
    expect(errorsOf({})).toEqual(
      ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId'].map((f) => ({
        path: `/${f}`,
        message: 'is required',
      })),
    );
  });

  it('rejects non-objects at the root', () => {
    for (const input of [null, [], 'goal', 7])
      expect(errorsOf(input)).toEqual([{ path: '/', message: 'must be object' }]);
  });

  it('refuses deeply nested metadata as too large instead of overflowing the stack', () => {
    for (const open of ['[', '{"a":']) {
      const close = open === '[' ? ']' : '}';
      const depth = 20_000;
      const metadata = JSON.parse(`{"a":${open.repeat(depth)}1${close.repeat(depth)}}`) as unknown;
      expect(errorsOf({ ...valid, metadata })).toEqual([
        { path: '/metadata', message: 'must be at most 4096 bytes as JSON' },
      ]);
    }
    // as deep as still fits: accepted
    const fits = JSON.parse(`{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`) as Record<string, unknown>;
    expect(validateEvent({ ...valid, metadata: fits }).ok).toBe(true);
  });

  it('treats __proto__ as an unknown field rather than a prototype', () => {
    const hostile = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(valid).slice(1)}`);
    expect(errorsOf(hostile)).toContainEqual({
      path: '/__proto__',
      message: expect.stringContaining('not a known field'),
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('validateBatch', () => {
  it('splits valid from invalid events, by index, with paths inside the batch', () => {
    const result = validateBatch({ events: [valid, { ...valid, teamId: 9 }, { ...valid, eventId: 'x' }] });
    expect(result).toEqual({
      ok: true,
      value: {
        valid: [{ index: 0, item: valid }],
        invalid: [
          { index: 1, errors: [{ path: '/events/1/teamId', message: 'must be 1 or 2' }] },
          { index: 2, errors: [{ path: '/events/2/eventId', message: 'must be a UUID' }] },
        ],
      },
    });
  });

  it('lists a non-object item by its index instead of refusing the whole batch', () => {
    expect(validateBatch({ events: [valid, 'goal', null] })).toEqual({
      ok: true,
      value: {
        valid: [{ index: 0, item: valid }],
        invalid: [
          { index: 1, errors: [{ path: '/events/1', message: 'must be object' }] },
          { index: 2, errors: [{ path: '/events/2', message: 'must be object' }] },
        ],
      },
    });
  });

  it('rejects a bad envelope: missing, empty, too long, extra fields', () => {
    expect(validateBatch({})).toEqual({ ok: false, errors: [{ path: '/events', message: 'is required' }] });
    expect(validateBatch({ events: [] })).toEqual({
      ok: false,
      errors: [{ path: '/events', message: 'must NOT have fewer than 1 items' }],
    });
    const tooMany = validateBatch({ events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => valid) });
    expect(tooMany).toEqual({
      ok: false,
      errors: [{ path: '/events', message: 'must NOT have more than 1000 items' }],
    });
    expect(validateBatch({ events: [valid], extra: 1 })).toMatchObject({
      ok: false,
      errors: [{ path: '/extra' }],
    });
  });
});
