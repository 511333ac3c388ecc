import type { IncomingHttpHeaders } from 'node:http';
import type { Response } from 'express';
import { Lifecycle } from './lifecycle';

const response = () => ({ setHeader: () => undefined }) as unknown as Response;
const json = (bytes: number): IncomingHttpHeaders => ({ 'content-length': String(bytes) });

describe('Lifecycle.refusal (shedding on the request head)', () => {
  it('admits while fewer than maxInFlight others are in flight, then refuses with 503 overloaded + Retry-After', () => {
    const lifecycle = new Lifecycle({ maxInFlight: 2 });
    expect(lifecycle.refusal(json(10), 1)).toBeUndefined();
    const refused = lifecycle.refusal(json(10), 2);
    expect(refused).toMatchObject({
      type: 'overloaded',
      status: 503,
      detail: 'More than 2 requests are in flight',
      headers: { 'Retry-After': '1' },
    });
    expect([...lifecycle.shedCounts]).toEqual([['in_flight', 1]]);
  });

  it('refuses a body that would take the admitted bodies over the budget, and counts why', () => {
    const lifecycle = new Lifecycle({ maxInFlight: 100, maxBodyBytes: 1000 });
    const first = response();
    lifecycle.begin(first);
    lifecycle.shed({ headers: json(800) } as never, first, () => undefined);
    expect(lifecycle.refusal(json(300), lifecycle.inFlight)?.detail).toMatch(
      /^Request bodies in flight would exceed 1000 bytes/,
    );
    expect(lifecycle.refusal(json(200), lifecycle.inFlight)).toBeUndefined();
    lifecycle.end(first);
    expect(lifecycle.refusal(json(300), lifecycle.inFlight)).toBeUndefined();
    expect([...lifecycle.shedCounts]).toEqual([['body_bytes', 1]]);
  });

  it('tells its onFull listener each time it sheds for the in-flight limit, not for the body budget', () => {
    const lifecycle = new Lifecycle({ maxInFlight: 1, maxBodyBytes: 10 });
    let full = 0;
    lifecycle.onFull(() => full++);
    lifecycle.refusal(json(5), 0);
    expect(full).toBe(0);
    lifecycle.refusal(json(5), 1);
    lifecycle.refusal(json(5), 3);
    expect(full).toBe(2);
  });
});

describe('Lifecycle.startDraining', () => {
  const recorded = (headersSent = false) => {
    const headers: Record<string, string> = {};
    const res = {
      headersSent,
      setHeader: (name: string, value: string) => (headers[name] = value),
    } as unknown as Response;
    return { res, headers };
  };

  it('asks the clients of responses not yet sent to close, and of requests arriving afterwards', () => {
    const lifecycle = new Lifecycle({ maxInFlight: 10 });
    const [waiting, sent, finished] = [recorded(), recorded(true), recorded()];
    for (const { res } of [waiting, sent, finished]) lifecycle.begin(res);
    lifecycle.end(finished.res);
    lifecycle.startDraining();
    expect(waiting.headers).toEqual({ Connection: 'close' });
    expect(sent.headers).toEqual({});
    expect(finished.headers).toEqual({});
    const late = recorded();
    lifecycle.begin(late.res);
    expect(late.headers).toEqual({ Connection: 'close' });
    expect(lifecycle.inFlight).toBe(3);
  });
});
