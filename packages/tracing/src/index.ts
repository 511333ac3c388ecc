export {
  otlpProtocol,
  startTracing,
  tracingWanted,
  type Tracing,
  type TracingLog,
  type TracingOptions,
} from './setup';
export { tracingOn } from './state';
export {
  ATTR,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  contextOf,
  failed,
  inSpan,
  recordSpan,
  sampled,
  spanContextOf,
  startSpan,
  traceHeaders,
  type Context,
  type Headers,
  type Link,
  type Parent,
  type Span,
  type StartOptions,
} from './spans';
export { endServerSpan, startServerSpan, type AnsweredRequest, type ArrivingRequest } from './http';
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
