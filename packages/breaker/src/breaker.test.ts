import { Writable } from 'node:stream';
import { createLogger, createRegistry, sampleSum, type Registry } from '@pitchpulse/observability';
import { BreakerOpenError, CircuitBreaker, type BreakerSettings } from './index';

class Outage extends Error {}
class UserError extends Error {}

const settings: BreakerSettings = { failureShare: 0.5, windowMs: 10_000, minRequests: 4, openMs: 5000 };

function setup(patch: Partial<BreakerSettings> = {}) {
  const registry = createRegistry();
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const breaker = new CircuitBreaker({
    ...settings,
    ...patch,
    name: 'dep',
    isOutage: (err) => err instanceof Outage,
    logger: createLogger('test', { level: 'info' }, sink),
    registry,
  });
  let calls = 0;
  const fail = (err: Error = new Outage('down')) =>
    breaker.run(async () => {
      calls++;
      throw err;
    });
  const succeed = () =>
    breaker.run(async () => {
      calls++;
      return 'ok';
    });
  return { breaker, registry, lines, fail, succeed, calls: () => calls };
}

const metric = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  sampleSum(await registry.metrics(), name, { breaker: 'dep', ...labels });

async function failTimes(fail: () => Promise<unknown>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect(fail()).rejects.toBeInstanceOf(Outage);
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('stays closed while the window holds fewer than minRequests calls, however many failed', async () => {
  const { breaker, fail } = setup();
  await failTimes(fail, 3);
  expect(breaker.state).toBe('closed');
  breaker.close();
});

it('stays closed at exactly the failure share, opens above it', async () => {
  const { breaker, fail, succeed } = setup();
  await succeed();
  await succeed();
  await failTimes(fail, 2); // 2 of 4 = 0.5: not more than the share
  expect(breaker.state).toBe('closed');
  await failTimes(fail, 1); // 3 of 5
  expect(breaker.state).toBe('open');
  breaker.close();
});

it('open: refuses at once without calling the dependency, saying when the probe comes; metrics and log tell', async () => {
  const { breaker, registry, lines, fail, succeed, calls } = setup();
  await failTimes(fail, 4);
  expect(breaker.state).toBe('open');
  const before = calls();
  const refused = await succeed().catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(BreakerOpenError);
  expect(refused).toMatchObject({ breaker: 'dep', retryAfterMs: 5000 });
  expect(calls()).toBe(before);
  jest.advanceTimersByTime(3200);
  expect(breaker.retryAfterMs()).toBe(1800);
  await expect(succeed()).rejects.toBeInstanceOf(BreakerOpenError);

  expect(await metric(registry, 'circuit_breaker_state')).toBe(2);
  expect(await metric(registry, 'circuit_breaker_transitions_total', { to: 'open' })).toBe(1);
  expect(await metric(registry, 'circuit_breaker_rejected_calls_total')).toBe(2);
  expect(lines).toContainEqual(
    expect.objectContaining({ level: 'warn', breaker: 'dep', failures: 4, calls: 4, probeInMs: 5000 }),
  );
  breaker.close();
});

it('does not count errors that are not outages, and passes them through unchanged', async () => {
  const { breaker, fail } = setup();
  for (let i = 0; i < 10; i++)
    await expect(fail(new UserError('bad input'))).rejects.toBeInstanceOf(UserError);
  expect(breaker.state).toBe('closed');
  breaker.close();
});

it('half-open after openMs: one probe goes through, others wait; its success closes the breaker', async () => {
  const { breaker, registry, fail, calls } = setup();
  await failTimes(fail, 4);
  jest.advanceTimersByTime(5000);
  expect(breaker.state).toBe('half_open');
  expect(await metric(registry, 'circuit_breaker_state')).toBe(1);

  let answer: (value: string) => void = () => undefined;
  const probe = breaker.run(() => new Promise<string>((resolve) => (answer = resolve)));
  const before = calls();
  await expect(breaker.run(async () => 'second')).rejects.toMatchObject({ retryAfterMs: 1000 });
  expect(calls()).toBe(before);
  answer('ok');
  await expect(probe).resolves.toBe('ok');

  expect(breaker.state).toBe('closed');
  await expect(breaker.run(async () => 'after')).resolves.toBe('after');
  expect(await metric(registry, 'circuit_breaker_state')).toBe(0);
  for (const to of ['open', 'half_open', 'closed']) {
    expect(await metric(registry, 'circuit_breaker_transitions_total', { to })).toBe(1);
  }
  breaker.close();
});

it('a failed probe opens the breaker again for another openMs', async () => {
  const { breaker, registry, fail } = setup();
  await failTimes(fail, 4);
  jest.advanceTimersByTime(5000);
  await failTimes(fail, 1);
  expect(breaker.state).toBe('open');
  expect(breaker.retryAfterMs()).toBe(5000);
  expect(await metric(registry, 'circuit_breaker_transitions_total', { to: 'open' })).toBe(2);
  jest.advanceTimersByTime(4999);
  expect(breaker.state).toBe('open');
  jest.advanceTimersByTime(1);
  expect(breaker.state).toBe('half_open');
  breaker.close();
});

it('failures that left the window no longer count', async () => {
  const { breaker, fail } = setup();
  await failTimes(fail, 3);
  jest.advanceTimersByTime(settings.windowMs + 1000);
  await failTimes(fail, 1);
  expect(breaker.state).toBe('closed');
  breaker.close();
});

it('two breakers share one registry, told apart by their label', async () => {
  const registry = createRegistry();
  const logger = createLogger('test', { level: 'silent' });
  const make = (name: string) =>
    new CircuitBreaker({ ...settings, name, isOutage: () => true, logger, registry });
  const [a, b] = [make('a'), make('b')];
  for (let i = 0; i < 4; i++) await a.run(() => Promise.reject(new Error('down'))).catch(() => undefined);
  const text = await registry.metrics();
  expect(sampleSum(text, 'circuit_breaker_state', { breaker: 'a' })).toBe(2);
  expect(sampleSum(text, 'circuit_breaker_state', { breaker: 'b' })).toBe(0);
  a.close();
  b.close();
});
