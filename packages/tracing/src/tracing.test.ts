import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanKind, diag } from '@opentelemetry/api';
import { endServerSpan, startServerSpan } from './http';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';
import { otlpProtocol, startTracing, tracingWanted } from './setup';
import { contextOf, inSpan, recordSpan, spanContextOf, startSpan, traceHeaders } from './spans';
import { tracingOn } from './state';

describe('tracingWanted', () => {
  it('follows the standard variables: an OTLP endpoint or exporter otlp turns it on, nothing leaves it off', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(
      tracingWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
    ).toBe(false);
    expect(tracingWanted({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(() => tracingWanted({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/not supported: use otlp/);
  });

  it('without them nothing is recorded and no header is written', async () => {
    const tracing = startTracing('test-service', { env: {} });
    expect(tracing.enabled).toBe(false);
    expect(tracingOn()).toBe(false);
    await inSpan('nothing', {}, async (span) => expect(span).toBeUndefined());
    expect(startSpan('nothing either', {})).toBeUndefined();
    expect(traceHeaders(undefined)).toEqual({});
  });
});

describe('otlpProtocol', () => {
  it('is http/protobuf unless the traces or general variable asks for http/json; grpc is refused', () => {
    expect(otlpProtocol({})).toBe('http/protobuf');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(
      otlpProtocol({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }),
    ).toBe('http/protobuf');
    expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /grpc is not supported: use http\/protobuf \(the default\) or http\/json/,
    );
  });
});

describe('startTracing', () => {
  it('records spans, carries their context through Kafka-style headers, and parents remote spans to it', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing('test-service', { exporter });
    expect(tracing.enabled).toBe(true);
    expect(tracingOn()).toBe(true);
    let headers: Record<string, string> = {};
    await inSpan('request', {}, async (request) => {
      await inSpan(
        'produce',
        { kind: SpanKind.PRODUCER, parent: request, attributes: { 'x.count': 2 } },
        async (span) => {
          headers = traceHeaders(span);
        },
      );
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const remote = contextOf({ traceparent: Buffer.from(headers.traceparent!) });
    const [, traceId, parentId] = headers.traceparent!.split('-');
    expect(spanContextOf(remote)).toMatchObject({ traceId, spanId: parentId, isRemote: true });
    const now = Date.now();
    recordSpan('process', { kind: SpanKind.CONSUMER, parent: remote, startTime: now - 5, endTime: now });
    await expect(inSpan('fails', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const ended = recordSpan('ended', { startTime: now - 5, endTime: now });
    recordSpan('late', { parent: ended, startTime: now - 4, endTime: now - 1 });
    // A caller that did not sample its trace (flags 00): nothing recorded, its decision carried on.
    const unsampled = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`;
    const request = startSpan('not sampled', { parent: contextOf({ traceparent: unsampled }) });
    expect(request!.isRecording()).toBe(false);
    expect(startSpan('not sampled either', { parent: request })).toBe(request);
    expect(traceHeaders(request).traceparent).toMatch(new RegExp(`^00-${'a'.repeat(32)}-[0-9a-f]{16}-00$`));
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown();

    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(byName.produce!.spanContext()).toMatchObject({ traceId, spanId: parentId });
    expect(byName.produce!.parentSpanContext?.spanId).toBe(byName.request!.spanContext().spanId);
    expect(byName.request!.parentSpanContext).toBeUndefined();
    // No context travels implicitly: a span started without a parent begins a trace of its own.
    expect(byName.fails!.spanContext().traceId).not.toBe(traceId);
    expect(byName.produce!.kind).toBe(SpanKind.PRODUCER);
    expect(byName.produce!.attributes['x.count']).toBe(2);
    expect(byName.produce!.resource.attributes['service.name']).toBe('test-service');
    expect(byName.process!.spanContext().traceId).toBe(traceId);
    expect(byName.process!.parentSpanContext?.spanId).toBe(parentId);
    expect(byName.fails!.status).toMatchObject({ code: 2, message: 'boom' });
    expect(byName['not sampled']).toBeUndefined();
    // a span recorded after its parent ended (the consumer's insert under a request's share of a flush)
    expect(byName.late!.parentSpanContext?.spanId).toBe(byName.ended!.spanContext().spanId);
    expect(tracingOn()).toBe(false);
  });
});

describe('the HTTP server span', () => {
  it("is a child of the caller's traceparent, named by its route, failed on 5xx only; unsampled, asks for no answer", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing('test-service', { exporter });
    const caller = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    const arriving = (requestId: string) => ({
      method: 'POST',
      path: '/api/events',
      headers: { traceparent: caller },
      requestId,
    });
    const answer = { method: 'POST', route: '/api/events', aborted: false };
    endServerSpan(startServerSpan(arriving('ok'))!, () => ({ ...answer, statusCode: 202 }));
    endServerSpan(startServerSpan(arriving('refused'))!, () => ({ ...answer, statusCode: 400 }));
    endServerSpan(startServerSpan(arriving('broken'))!, () => ({
      ...answer,
      statusCode: 503,
      aborted: true,
    }));
    // A caller whose trace is not sampled (flags 00): the span records nothing and its answer is never asked for.
    const unsampled = startServerSpan({
      ...arriving('unsampled'),
      headers: { traceparent: caller.replace(/01$/, '00') },
    })!;
    expect(unsampled.isRecording()).toBe(false);
    expect(unsampled.spanContext()).toMatchObject({ traceId: 'c'.repeat(32), traceFlags: 0 });
    const unsampledAnswer = jest.fn(() => ({ ...answer, statusCode: 202 }));
    endServerSpan(unsampled, unsampledAnswer);
    expect(unsampledAnswer).not.toHaveBeenCalled();
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown();
    expect(startServerSpan(arriving('off'))).toBeUndefined();

    const byId = Object.fromEntries(spans.map((s) => [s.attributes['pitchpulse.request_id'], s]));
    expect(Object.keys(byId).sort()).toEqual(['broken', 'ok', 'refused']);
    expect(byId.ok).toMatchObject({ name: 'POST /api/events', kind: SpanKind.SERVER });
    expect(byId.ok!.spanContext().traceId).toBe('c'.repeat(32));
    expect(byId.ok!.parentSpanContext?.spanId).toBe('d'.repeat(16));
    expect(byId.ok!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.path': '/api/events',
      'pitchpulse.request_id': 'ok',
      'http.route': '/api/events',
      'http.response.status_code': 202,
    });
    expect(byId.refused!.status.code).toBe(0);
    expect(byId.broken!.status.code).toBe(2);
    expect(byId.broken!.attributes['http.response.aborted']).toBe(true);
  });
});

describe("the SDK's complaints", () => {
  it('are logged with their component, message and error', async () => {
    const lines: Array<{ level: string; details: object; message: string }> = [];
    const record = (level: string) => (details: object, message: string) =>
      lines.push({ level, details, message });
    const tracing = startTracing('test-service', {
      exporter: new InMemorySpanExporter(),
      log: { warn: record('warn'), error: record('error') },
    });
    const err = new Error('unexpected end of input');
    diag
      .createComponentLogger({ namespace: 'OTLPExportDelegate' })
      .warn('could not read the answer', err, 'raw');
    diag.error('no component', { code: 7 });
    diag.info('below the level');
    await tracing.shutdown();
    expect(lines).toEqual([
      {
        level: 'warn',
        details: { component: 'opentelemetry', err },
        message: 'OTLPExportDelegate: could not read the answer: raw',
      },
      {
        level: 'error',
        details: { component: 'opentelemetry', args: [{ code: 7 }] },
        message: 'no component',
      },
    ]);
  });
});

describe('the OTLP exporter and receiver', () => {
  /** Runs a process that traces one span and shuts down, exporting to `receiver` with `env`. */
  async function traceInChild(receiver: OtlpReceiver, env: Record<string, string>): Promise<string> {
    // In a child process: jest's VM cannot run the HTTP exporter's dynamic imports.
    const dist = path.resolve(__dirname, '../dist/index.js');
    const script = `
      const t = require(${JSON.stringify(dist)});
      const say = (level) => (details, message) => console.error(level, message);
      const tracing = t.startTracing('child-service', { log: { warn: say('WARN'), error: say('ERROR') } });
      t.inSpan('work', { attributes: { 'x.n': 7 } }, async () => undefined).then(() => tracing.shutdown());`;
    const { stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_PROTOCOL: '',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '',
        OTEL_SERVICE_NAME: '',
        ...env,
      },
      timeout: 20_000,
    });
    // what the process logged through `log` (other lines, e.g. a Node deprecation warning, are not ours)
    return stderr
      .split('\n')
      .filter((line) => /^(WARN|ERROR) /.test(line))
      .join('\n');
  }

  it('with OTEL_EXPORTER_OTLP_PROTOCOL=http/json, a process exports its spans as OTLP/HTTP JSON on shutdown', async () => {
    const receiver = await startOtlpReceiver();
    try {
      expect(await traceInChild(receiver, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('');
      expect([...receiver.contentTypes]).toEqual(['application/json']);
      expect(receiver.spans).toEqual([
        expect.objectContaining({ service: 'child-service', name: 'work', attributes: { 'x.n': 7 } }),
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('by default it exports OTLP/HTTP protobuf', async () => {
    const receiver = await startOtlpReceiver({ keep: false });
    try {
      // the receiver answers in the request's encoding: the exporter has nothing to complain about
      expect(await traceInChild(receiver, {})).toBe('');
      expect(receiver.requests).toBe(1);
      expect([...receiver.contentTypes]).toEqual(['application/x-protobuf']);
    } finally {
      await receiver.close();
    }
  });
});
