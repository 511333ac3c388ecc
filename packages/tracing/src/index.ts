export { startTracing, tracingWanted, type Tracing, type TracingOptions } from './setup';
export { tracingOn } from './state';
export {
  ATTR,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  contextOf,
  failed,
  inSpan,
  parentContext,
  recordSpan,
  spanContextOf,
  startSpan,
  traceHeaders,
  withActive,
  type Context,
  type Headers,
  type Link,
  type Span,
} from './spans';
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
