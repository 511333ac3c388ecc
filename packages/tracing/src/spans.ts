import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TimeInput,
} from '@opentelemetry/api';
import { activeTracer, w3cPropagator as w3c } from './state';

/** A header map as HTTP (strings) or Kafka (Buffers) has it. */
export type Headers = Record<string, string | Buffer | ReadonlyArray<string | Buffer> | undefined>;

/**
 * What a span is a child of: a span of this process, a context received from another one (`contextOf`), or
 * nothing (a new trace). Parents are always named: no context travels implicitly through async calls.
 */
export type Parent = Span | Context | undefined;

export interface StartOptions extends SpanOptions {
  parent?: Parent;
}

const TRACEPARENT = 'traceparent';

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map(String);
    return String(value);
  },
};

const isSpan = (parent: Span | Context): parent is Span => typeof (parent as Span).spanContext === 'function';

function contextFor(parent: Parent): Context {
  if (!parent) return ROOT_CONTEXT;
  return isSpan(parent) ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
}

/** Whether `span` belongs to a sampled trace, whose spans are recorded and exported. */
export const sampled = (span: Span | undefined): span is Span =>
  span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;

/**
 * Starts a span the caller ends (undefined with tracing off). The child of a span of a trace not sampled is that
 * span itself, which records nothing (ending it or marking it failed does nothing): the child would record nothing
 * either, as every standard sampler decides per trace.
 */
export function startSpan(name: string, options: StartOptions): Span | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  const { parent } = options;
  if (parent && isSpan(parent) && !parent.isRecording() && !sampled(parent)) return parent;
  // `parent` rides along in the options: the SDK reads only SpanOptions' own fields (no copy on the hot path).
  return tracer.startSpan(name, options, contextFor(parent));
}

/**
 * Runs `fn` in a new span that ends when `fn` settles and records what it threw; `fn` is given the span to
 * parent its own spans to. With tracing off, runs `fn` alone.
 */
export async function inSpan<T>(
  name: string,
  options: StartOptions,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  const span = startSpan(name, options);
  if (!span) return fn(undefined);
  try {
    return await fn(span);
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** A span of something already done, from `startTime` to `endTime` (nothing with tracing off). */
export function recordSpan(
  name: string,
  options: StartOptions & { startTime: TimeInput; endTime: TimeInput; error?: unknown },
): Span | undefined {
  const { endTime, error, ...rest } = options;
  const span = startSpan(name, rest);
  if (span && error !== undefined) failed(span, error);
  span?.end(endTime);
  return span;
}

/** Marks `span` failed with `err`. */
export function failed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** `span`'s trace context as W3C headers (`traceparent`, `tracestate`); empty without a span. */
export function traceHeaders(span: Span | undefined): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (span) w3c.inject(contextFor(span), carrier, defaultTextMapSetter);
  return carrier;
}

/** The trace context `headers` carry (W3C `traceparent`), or none: to parent or link spans to it. */
export function contextOf(headers: Headers | undefined): Context {
  if (!headers || headers[TRACEPARENT] === undefined || !activeTracer()) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** The span context `ctx` holds, if any (what a link points to). */
export const spanContextOf = (ctx: Context) => trace.getSpanContext(ctx);

export {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

/** Span attributes PitchPulse sets beside the semantic conventions' own. */
export const ATTR = Object.freeze({
  /** the x-request-id of the POST that wrote the events */
  requestId: 'pitchpulse.request_id',
  /** how many of the batch's events came from this span's request */
  events: 'pitchpulse.events',
});
