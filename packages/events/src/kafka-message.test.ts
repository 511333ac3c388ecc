import type { MatchEvent } from '@pitchpulse/contract';
import { UndecodableMessageError, decodeEventMessage, encodeEventMessage } from './index';

const event: MatchEvent = {
  eventId: '550e8400-e29b-41d4-a716-446655440000',
  matchId: 'match-123',
  eventType: 'shot',
  timestamp: '2024-01-15T14:30:00.250Z',
  teamId: 2,
};

describe('Kafka message (de)serialisation', () => {
  it('keys by matchId and round-trips the event with receivedAt', () => {
    const message = encodeEventMessage(event, 1_705_329_000_123);
    expect(message.key).toBe('match-123');
    expect(JSON.parse(message.value)).toEqual({ ...event, receivedAt: 1_705_329_000_123 });
    expect(decodeEventMessage(Buffer.from(message.value))).toEqual({
      ...event,
      receivedAt: 1_705_329_000_123,
    });
  });

  it.each([
    ['no value', null, 'message has no value'],
    ['not JSON', '{"eventId":', 'value is not JSON'],
    ['an array', '[]', 'value is not a JSON object'],
    ['no receivedAt', JSON.stringify(event), 'receivedAt must be epoch milliseconds'],
    [
      'a broken event',
      JSON.stringify({ ...event, teamId: 5, receivedAt: 1 }),
      'event breaks the contract: /teamId: must be 1 or 2',
    ],
  ])('refuses %s as undecodable', (_name, value, message) => {
    expect(() => decodeEventMessage(value)).toThrow(UndecodableMessageError);
    expect(() => decodeEventMessage(value)).toThrow(message);
  });
});
