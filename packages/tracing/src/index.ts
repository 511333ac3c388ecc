export { startTracing, tracingWanted, type Tracing } from './setup';
export { tracingOn } from './state';
export {
  ROOT_CONTEXT,
  SpanKind,
  contextOf,
  failed,
  inSpan,
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
