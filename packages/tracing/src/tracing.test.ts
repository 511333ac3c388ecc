import { SpanKind } from '@opentelemetry/api';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';
import { startTracing, tracingWanted, type Tracing } from './setup';
import { contextOf, inSpan, recordSpan, spanContextOf, traceHeaders } from './spans';
import { tracingOn } from './state';

describe('tracingWanted', () => {
  it('follows the standard variables: an OTLP endpoint or exporter otlp turns it on, nothing leaves it off', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(false);
    expect(tracingWanted({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(() => tracingWanted({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/not supported: use otlp/);
  });
});

describe('startTracing', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing('test-service', undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
  });
  afterAll(async () => {
    await tracing.shutdown();
    await receiver.close();
  });

  it('records spans, carries their context through headers, and exports them to the OTLP endpoint', async () => {
    expect(tracing.enabled).toBe(true);
    expect(tracingOn()).toBe(true);
    let headers: Record<string, string> = {};
    await inSpan('produce', { kind: SpanKind.PRODUCER, attributes: { 'x.count': 2 } }, async () => {
      headers = traceHeaders();
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const remote = contextOf({ traceparent: Buffer.from(headers.traceparent!) });
    const [, traceId, parentId] = headers.traceparent!.split('-');
    expect(spanContextOf(remote)).toMatchObject({ traceId, spanId: parentId, isRemote: true });
    const now = Date.now();
    recordSpan('process', { kind: SpanKind.CONSUMER, parent: remote, startTime: now - 5, endTime: now });
    await expect(inSpan('fails', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await tracing.shutdown();

    const byName = Object.fromEntries(receiver.spans.map((s) => [s.name, s]));
    expect(byName.produce).toMatchObject({ service: 'test-service', traceId, spanId: parentId, kind: 4 });
    expect(byName.produce!.attributes['x.count']).toBe(2);
    expect(byName.process).toMatchObject({ traceId, parentSpanId: parentId, kind: 5 });
    expect(byName.fails).toBeDefined();
    expect(tracingOn()).toBe(false);
  });
});
