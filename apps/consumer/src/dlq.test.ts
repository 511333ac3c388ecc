import { prepareReplay, type DeadLetter } from './dlq';

const event = {
  eventId: '550e8400-e29b-41d4-a716-446655440000',
  matchId: 'm-dlq',
  eventType: 'pass',
  timestamp: '2026-12-03T20:00:00Z',
  teamId: 7,
  receivedAt: 1_764_792_000_000,
  anomalies: ['source-velocity'],
};

const letter = (value: object): DeadLetter => ({
  partition: 0,
  offset: '17',
  key: 'm-dlq',
  value: JSON.stringify(value),
  failure: undefined,
  requestId: undefined,
});

describe('prepareReplay', () => {
  it('re-validates the fixed event and keeps its receive time and the API’s feed-integrity flags', () => {
    const verdict = prepareReplay(letter(event), { teamId: 1 });
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(JSON.parse(verdict.message.value)).toEqual({ ...event, teamId: 1 });
    expect(verdict.message.key).toBe('m-dlq');
    expect(verdict.message.headers).toEqual({ 'x-replayed-from': 'dlq:0:17' });
  });

  it('keeps the request id of the POST that first wrote the event', () => {
    const verdict = prepareReplay({ ...letter(event), requestId: 'req-7' }, { teamId: 1 });
    expect(verdict.ok && verdict.message.headers).toEqual({
      'x-replayed-from': 'dlq:0:17',
      'x-request-id': 'req-7',
    });
  });

  it('refuses an event that still breaks the contract', () => {
    const verdict = prepareReplay(letter(event), {});
    expect(verdict).toMatchObject({ ok: false });
  });
});
