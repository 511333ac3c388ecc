import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TimeInput,
} from '@opentelemetry/api';
import { tracingOn } from './state';

const tracer = () => trace.getTracer('pitchpulse');

/** A header map as HTTP (strings) or Kafka (Buffers) has it. */
export type Headers = Record<string, string | Buffer | ReadonlyArray<string | Buffer> | undefined>;

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map(String);
    return String(value);
  },
};

/**
 * Runs `fn` in a new span (a child of `parent`, else of the active span) that ends when `fn` settles and records
 * what it threw. With tracing off, runs `fn` alone.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracingOn()) return fn(undefined);
  const { parent, ...spanOptions } = options;
  return tracer().startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Starts a span the caller ends (undefined with tracing off): for spans that outlive one function call. */
export function startSpan(name: string, options: SpanOptions & { parent?: Context }): Span | undefined {
  if (!tracingOn()) return undefined;
  const { parent, ...spanOptions } = options;
  return tracer().startSpan(name, spanOptions, parent ?? context.active());
}

/** A span of something already done, from `startTime` to `endTime` (nothing with tracing off). */
export function recordSpan(
  name: string,
  options: SpanOptions & { parent?: Context; startTime: TimeInput; endTime: TimeInput; error?: unknown },
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

/** Runs `fn` with `span` active, so spans started inside it are its children. */
export function withActive<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** A context with `span` as its active span: to parent spans to a span that is not active. */
export const parentContext = (span: Span): Context => trace.setSpan(ROOT_CONTEXT, span);

/**
 * The trace context as W3C headers (`traceparent`, `tracestate`): `span`'s, else the active one; empty with tracing
 * off.
 */
export function traceHeaders(span?: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (!tracingOn()) return carrier;
  propagation.inject(span ? trace.setSpan(context.active(), span) : context.active(), carrier);
  return carrier;
}

/** The trace context `headers` carry (W3C `traceparent`), or none: to parent or link spans to it. */
export function contextOf(headers: Headers | undefined): Context {
  return headers && tracingOn() ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
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
