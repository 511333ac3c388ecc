import { FAILURE_HEADERS, TRACE_HEADERS } from '@pitchpulse/contract';
import { failureFromHeaders, nextFailure, requestIdOf, withFailure, type FailureInfo } from './envelope';

const info: FailureInfo = {
  originalTopic: 'match-events',
  originalPartition: 3,
  originalOffset: '1042',
  attempt: 2,
  firstFailureAt: 1_700_000_000_000,
  lastError: 'Code: 241. Memory limit exceeded',
  kind: 'transient',
  dueAt: 1_700_000_030_000,
};

describe('retry / DLQ envelope', () => {
  it('keeps key and value bytes and round-trips the failure headers', () => {
    const copy = withFailure({ key: Buffer.from('match-1'), value: Buffer.from('{"a":1}') }, info);
    expect(copy.key).toEqual(Buffer.from('match-1'));
    expect(copy.value).toEqual(Buffer.from('{"a":1}'));
    const asReceived = Object.fromEntries(
      Object.entries(copy.headers!).map(([k, v]) => [k, Buffer.from(String(v))]),
    );
    expect(failureFromHeaders(asReceived)).toEqual(info);
  });

  it("keeps the original's request id and trace context, and nothing else of its headers", () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const original = {
      [TRACE_HEADERS.requestId]: Buffer.from('req-42'),
      [TRACE_HEADERS.traceparent]: Buffer.from(traceparent),
      'x-replayed-from': Buffer.from('dlq:0:1'),
    };
    const copy = withFailure({ key: null, value: null, headers: original }, info);
    expect(copy.headers).toMatchObject({ [TRACE_HEADERS.requestId]: 'req-42', traceparent });
    expect(copy.headers).not.toHaveProperty('x-replayed-from');
    expect(copy.headers).not.toHaveProperty(TRACE_HEADERS.tracestate);
    expect(requestIdOf(copy.headers)).toBe('req-42');
    expect(failureFromHeaders(copy.headers)).toEqual(info);
    expect(requestIdOf(undefined)).toBeUndefined();
  });

  it('truncates very long errors so a header stays small', () => {
    const copy = withFailure({ key: null, value: null }, { ...info, lastError: 'x'.repeat(10_000) });
    expect(String(copy.headers![FAILURE_HEADERS.lastError])).toHaveLength(2000);
  });

  it('reads nothing from a message that never failed', () => {
    expect(failureFromHeaders(undefined)).toBeUndefined();
    expect(failureFromHeaders({ other: 'x' })).toBeUndefined();
  });

  it('starts at attempt 1 for a fresh failure and keeps origin and first failure on the next', () => {
    const first = nextFailure(
      { topic: 'match-events', partition: 1, message: { offset: '7', headers: {} } },
      { kind: 'transient', message: 'boom' },
      100,
    );
    expect(first).toEqual({
      originalTopic: 'match-events',
      originalPartition: 1,
      originalOffset: '7',
      attempt: 1,
      firstFailureAt: 100,
      lastError: 'boom',
      kind: 'transient',
    });
    const retried = withFailure({ key: null, value: null }, { ...first, dueAt: 200 });
    const second = nextFailure(
      { topic: 'match-events.retry', partition: 0, message: { offset: '99', headers: retried.headers } },
      { kind: 'data', message: 'bad row' },
      300,
    );
    expect(second).toEqual({ ...first, attempt: 2, lastError: 'bad row', kind: 'data' });
  });
});
