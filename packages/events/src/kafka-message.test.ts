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

  it('carries the rules the API flagged the event with, and only a known rule, each once', () => {
    const flagged = encodeEventMessage(event, 1, ['source-velocity', 'duplicate-storm']);
    expect(JSON.parse(flagged.value)).toEqual({
      ...event,
      receivedAt: 1,
      anomalies: ['source-velocity', 'duplicate-storm'],
    });
    expect(decodeEventMessage(flagged.value).anomalies).toEqual(['source-velocity', 'duplicate-storm']);
    expect(JSON.parse(encodeEventMessage(event, 1, ['clock-skew']).value).anomalies).toEqual(['clock-skew']);
    expect(JSON.parse(encodeEventMessage(event, 1, []).value)).not.toHaveProperty('anomalies');
    const unknown = JSON.stringify({ ...event, receivedAt: 1, anomalies: ['made-up'] });
    expect(() => decodeEventMessage(unknown)).toThrow(UndecodableMessageError);
    const twice = JSON.stringify({ ...event, receivedAt: 1, anomalies: ['clock-skew', 'clock-skew'] });
    expect(() => decodeEventMessage(twice)).toThrow(UndecodableMessageError);
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
