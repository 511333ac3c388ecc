import type { ProducerBatch, RecordMetadata } from 'kafkajs';
import { Registry } from 'prom-client';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { contextOf, startSpan, startTracing, type Span } from '@pitchpulse/tracing';
import {
  GroupCommitProducer,
  ProduceFailedError,
  ProduceTimeoutError,
  ProducerClosedError,
  ProducerOverloadedError,
  type BatchProducer,
  type GroupCommitProducerOptions,
  type ProduceMessage,
} from './index';

/** A stand-in for kafkajs' producer: records each produce call and lets the test decide when it settles. */
class FakeProducer implements BatchProducer {
  batches: Array<{ batch: ProducerBatch; ack: () => void; fail: (err: Error) => void }> = [];
  autoAck = true;
  connected = false;

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      const entry = { batch, ack: () => resolve([]), fail: reject };
      this.batches.push(entry);
      if (this.autoAck) setImmediate(entry.ack);
    });
  }

  /** Values per produce call, in order. */
  values(): string[][] {
    return this.batches.map(({ batch }) =>
      batch.topicMessages!.flatMap((t) => t.messages.map((m) => String(m.value))),
    );
  }
}

const msg = (value: string, topic = 'events'): ProduceMessage => ({ topic, key: `k-${value}`, value });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function started(options: Partial<GroupCommitProducerOptions> = {}) {
  const fake = new FakeProducer();
  const producer = new GroupCommitProducer({ producer: fake, ...options });
  await producer.connect();
  return { fake, producer };
}

describe('GroupCommitProducer coalescing', () => {
  it('coalesces concurrent sends into one produce call with acks=all, in arrival order', async () => {
    const { fake, producer } = await started({ lingerMs: 5 });
    await Promise.all([
      producer.send([msg('a')]),
      producer.send([msg('b'), msg('c')]),
      producer.send([msg('d')]),
    ]);
    expect(fake.values()).toEqual([['a', 'b', 'c', 'd']]);
    expect(fake.batches[0].batch.acks).toBe(-1);
    expect(fake.batches[0].batch.topicMessages![0].messages[0]).toMatchObject({ key: 'k-a', value: 'a' });
  });

  it('groups messages by topic inside one produce call', async () => {
    const { fake, producer } = await started({ lingerMs: 5 });
    await Promise.all([producer.send([msg('a', 'x')]), producer.send([msg('b', 'y'), msg('c', 'x')])]);
    expect(fake.batches).toHaveLength(1);
    expect(fake.batches[0].batch.topicMessages!.map((t) => [t.topic, t.messages.length])).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
  });

  it('sends at once when maxBatchMessages are waiting, without waiting for the linger', async () => {
    const { fake, producer } = await started({ lingerMs: 10_000, maxBatchMessages: 3 });
    const started_ = Date.now();
    await Promise.all([producer.send([msg('a'), msg('b')]), producer.send([msg('c')])]);
    expect(Date.now() - started_).toBeLessThan(1000);
    expect(fake.values()).toEqual([['a', 'b', 'c']]);
  });

  it('sendWaitingNow sends what lingers at once, and does nothing when nothing waits', async () => {
    const { fake, producer } = await started({ lingerMs: 10_000 });
    fake.autoAck = false;
    producer.sendWaitingNow();
    expect(fake.batches).toHaveLength(0);
    const sends = [producer.send([msg('a')]), producer.send([msg('b')])];
    expect(fake.batches).toHaveLength(0);
    producer.sendWaitingNow();
    expect(fake.values()).toEqual([['a', 'b']]);
    fake.batches.forEach((b) => b.ack());
    await Promise.all(sends);
  });

  it('never splits one caller across produce calls and caps a batch at maxBatchMessages', async () => {
    const { fake, producer } = await started({ lingerMs: 30, maxBatchMessages: 3 });
    fake.autoAck = false;
    const sends = [producer.send([msg('a'), msg('b')]), producer.send([msg('c'), msg('d')])];
    // Full: [a, b] goes at once; [c, d] is under the limit and keeps lingering for company.
    expect(fake.values()).toEqual([['a', 'b']]);
    sends.push(producer.send([msg('e')]));
    expect(fake.values()).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
    sends.push(producer.send([msg('f'), msg('g'), msg('h'), msg('i')]));
    expect(fake.values()).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
      ['f', 'g', 'h', 'i'],
    ]);
    fake.batches.forEach((b) => b.ack());
    await Promise.all(sends);
  });

  it('holds batches while maxInFlightBatches are unacknowledged, then sends what accumulated as one', async () => {
    const { fake, producer } = await started({ lingerMs: 1, maxInFlightBatches: 1 });
    fake.autoAck = false;
    const first = producer.send([msg('a')]);
    await sleep(10);
    expect(fake.batches).toHaveLength(1);
    const later = [producer.send([msg('b')]), producer.send([msg('c')])];
    await sleep(10);
    expect(fake.batches).toHaveLength(1);
    fake.batches[0].ack();
    await first;
    await sleep(5);
    expect(fake.values()).toEqual([['a'], ['b', 'c']]);
    fake.batches[1].ack();
    await Promise.all(later);
  });

  it('rejects every caller of a failed produce call, and only them', async () => {
    const { fake, producer } = await started({ lingerMs: 1 });
    fake.autoAck = false;
    const failed = [producer.send([msg('a')]), producer.send([msg('b')])];
    await sleep(10);
    const ok = producer.send([msg('c')]);
    await sleep(10);
    fake.batches[0].fail(new Error('NOT_LEADER_FOR_PARTITION'));
    fake.batches[1].ack();
    for (const p of failed) await expect(p).rejects.toThrow(ProduceFailedError);
    await expect(failed[0]).rejects.toThrow('Kafka produce failed: NOT_LEADER_FOR_PARTITION');
    await expect(ok).resolves.toBeUndefined();
  });

  it('times a send out and never resolves it afterwards, even if its batch is acknowledged later', async () => {
    const { fake, producer } = await started({ lingerMs: 1, sendTimeoutMs: 30 });
    fake.autoAck = false;
    let outcome = 'pending';
    const send = producer.send([msg('a')]).then(
      () => (outcome = 'resolved'),
      (err: Error) => (outcome = err.name),
    );
    await send;
    expect(outcome).toBe('ProduceTimeoutError');
    fake.batches[0].ack();
    await sleep(10);
    expect(outcome).toBe('ProduceTimeoutError');
    expect(producer.pendingMessages).toBe(0);
  });

  it('drops a timed-out send that was still waiting, so it is never written', async () => {
    const { fake, producer } = await started({ lingerMs: 1, maxInFlightBatches: 1, sendTimeoutMs: 200 });
    fake.autoAck = false;
    const first = producer.send([msg('a')], { timeoutMs: 10_000 });
    await sleep(5);
    const waiting = producer.send([msg('b')], { timeoutMs: 20 });
    await expect(waiting).rejects.toThrow(ProduceTimeoutError);
    fake.batches[0].ack();
    await first;
    await producer.flush();
    expect(fake.values()).toEqual([['a']]);
  });

  it('sheds load beyond maxQueuedMessages with ProducerOverloadedError and recovers once acknowledged', async () => {
    const { fake, producer } = await started({ lingerMs: 1, maxQueuedMessages: 3 });
    fake.autoAck = false;
    const accepted = producer.send([msg('a'), msg('b')]);
    await expect(producer.send([msg('c'), msg('d')])).rejects.toThrow(ProducerOverloadedError);
    await expect(producer.send([msg('c'), msg('d')])).rejects.toThrow('producer queue is full (2 of 3');
    const fits = producer.send([msg('c')]);
    await sleep(10);
    fake.batches.forEach((b) => b.ack());
    await Promise.all([accepted, fits]);
    fake.autoAck = true;
    await expect(producer.send([msg('d'), msg('e'), msg('f'), msg('g')])).rejects.toThrow(
      ProducerOverloadedError,
    );
    await producer.send([msg('d'), msg('e')]);
  });

  it('refuses sends before connect and after disconnect; disconnect flushes what was accepted', async () => {
    const fake = new FakeProducer();
    const producer = new GroupCommitProducer({ producer: fake, lingerMs: 50 });
    await expect(producer.send([msg('a')])).rejects.toThrow(ProducerClosedError);
    expect(producer.connected).toBe(false);
    await producer.connect();
    expect(producer.connected).toBe(true);
    const accepted = producer.send([msg('b')]);
    await producer.disconnect();
    await expect(accepted).resolves.toBeUndefined();
    expect(fake.values()).toEqual([['b']]);
    expect(fake.connected).toBe(false);
    expect(producer.connected).toBe(false);
    await expect(producer.send([msg('c')])).rejects.toThrow('producer is shutting down');
  });

  it('uses gzip when configured and records metrics on the injected registry', async () => {
    const registry = new Registry();
    const { fake, producer } = await started({ lingerMs: 1, compression: 'gzip', registry });
    await Promise.all([producer.send([msg('a')]), producer.send([msg('b')])]);
    expect(fake.batches[0].batch.compression).toBe(1);
    await expect(producer.send(Array.from({ length: 30_000 }, (_, i) => msg(String(i))))).rejects.toThrow(
      ProducerOverloadedError,
    );
    const text = await registry.metrics();
    expect(text).toContain('kafka_produce_duration_seconds_count{outcome="success"} 1');
    expect(text).toContain('kafka_produce_errors_total{reason="overloaded"} 1');
    expect(text).toContain('kafka_produce_batch_messages_sum 2');
    // A second producer on the same registry shares the metrics instead of failing to register them.
    expect(() => new GroupCommitProducer({ producer: new FakeProducer(), registry })).not.toThrow();
  });

  it('rejects nonsensical options', () => {
    expect(() => new GroupCommitProducer({ producer: new FakeProducer(), maxBatchMessages: 0 })).toThrow(
      'maxBatchMessages must be ≥ 1',
    );
  });
});

describe('GroupCommitProducer tracing', () => {
  /**
   * Runs `fn` with tracing on; the spans it finished (the SDK exports them in batches: read after shutdown). The
   * SDK must have nothing to complain about (e.g. a link added to an ended span).
   */
  async function traced(fn: () => Promise<void>): Promise<ReadableSpan[]> {
    const exporter = new InMemorySpanExporter();
    const complaints: string[] = [];
    const complain = (_details: object, message: string) => complaints.push(message);
    const tracing = startTracing('test-service', { exporter, log: { warn: complain, error: complain } });
    const spans = exporter.getFinishedSpans();
    try {
      await fn();
    } finally {
      await tracing.shutdown();
    }
    expect(complaints).toEqual([]);
    return spans;
  }

  it('traces each produce call once: a child of its first sampled sender, linked both ways to the others', async () => {
    const senders: Record<string, Span> = {};
    const spans = await traced(async () => {
      const { fake, producer } = await started({ lingerMs: 5 });
      const unsampled = contextOf({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00` });
      senders.quiet = startSpan('request 0', { parent: unsampled })!;
      for (const n of [1, 2, 3, 4]) senders[n] = startSpan(`request ${n}`, {})!;
      await Promise.all([
        producer.send([msg('a')], { parent: senders.quiet }),
        producer.send([msg('b')], { parent: senders[1] }),
        producer.send([msg('c'), msg('d', 'retractions')], { parent: senders[2] }),
        producer.send([msg('e')]),
        producer.send([msg('f')], { parent: senders[3] }),
      ]);
      senders[3].end(); // its client went away: linked to, but neither the parent nor given more links
      fake.autoAck = false;
      const failing = [
        producer.send([msg('h')], { parent: senders[3] }),
        producer.send([msg('g')], { parent: senders[4] }),
      ];
      await sleep(20);
      fake.batches[1].fail(new Error('broker down'));
      for (const send of failing) await expect(send).rejects.toThrow(ProduceFailedError);
      for (const [name, span] of Object.entries(senders)) if (name !== '3') span.end();
      await producer.disconnect();
    });

    const byName = (name: string) => spans.find((s) => s.name === name);
    const id = (span: Span) => span.spanContext().spanId;
    const [batch, failed] = spans.filter((s) => s.name.startsWith('send'));
    expect([batch.name, failed.name]).toEqual(['send', 'send events']);
    // request 0's trace is not sampled: request 1 is the first sampled sender, the parent; the others are linked
    expect(batch.parentSpanContext?.spanId).toBe(id(senders[1]));
    expect(batch.spanContext().traceId).toBe(senders[1].spanContext().traceId);
    expect(batch.links.map((l) => l.context.spanId)).toEqual([id(senders[2]), id(senders[3])]);
    expect(batch.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.batch.message_count': 6,
    });
    // each linked sender links back to the produce call that carried its messages, once
    const backTo = (span: ReadableSpan) => [{ context: span.spanContext() }];
    expect(byName('request 2')!.links).toEqual(backTo(batch));
    expect(byName('request 3')!.links).toEqual(backTo(batch));
    expect(byName('request 1')!.links).toEqual([]);
    expect(byName('request 0')).toBeUndefined();
    // the failed produce call records its error; its first sender had ended, so the second is its parent
    expect(failed.parentSpanContext?.spanId).toBe(id(senders[4]));
    expect(failed.links.map((l) => l.context.spanId)).toEqual([id(senders[3])]);
    expect(byName('request 4')!.links).toEqual([]);
    expect(failed.attributes['messaging.destination.name']).toBe('events');
    expect(failed.status).toMatchObject({ code: 2, message: 'broker down' });
    expect(spans).toHaveLength(6);
  });

  it('starts no span for a produce call without a traced sender', async () => {
    const spans = await traced(async () => {
      const { producer } = await started({ lingerMs: 1 });
      await producer.send([msg('a')]);
      await producer.disconnect();
    });
    expect(spans).toEqual([]);
  });
});
