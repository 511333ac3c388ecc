import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { ATTR, contextOf, startSpan, type Headers } from './spans';

/** What a server span needs of an HTTP request as it arrives. */
export interface ArrivingRequest {
  method: string;
  /** the path without the query string */
  path: string;
  headers: Headers;
  /** the request's x-request-id */
  requestId: string;
}

/** What a server span records of an HTTP request once it is answered (or abandoned). */
export interface AnsweredRequest {
  method: string;
  /** the route template that matched (`/api/matches/:matchId`), not the path */
  route: string;
  statusCode: number;
  /** whether the response ended before all of it was written (the client went away) */
  aborted: boolean;
}

/**
 * The server span of an HTTP request (undefined with tracing off), a child of the caller's `traceparent` if it
 * sent one. Named by its method until `endServerSpan` knows the route.
 */
export function startServerSpan(req: ArrivingRequest): Span | undefined {
  return startSpan(req.method, {
    kind: SpanKind.SERVER,
    parent: contextOf(req.headers),
    attributes: {
      'http.request.method': req.method,
      'url.path': req.path,
      [ATTR.requestId]: req.requestId,
    },
  });
}

/**
 * Names the span by its route, records the answer and ends the span. A span that is not recording (its trace not
 * sampled) is left alone and `answerOf` is not asked: such a request does not work out what would be thrown away.
 */
export function endServerSpan(span: Span, answerOf: () => AnsweredRequest): void {
  if (!span.isRecording()) return;
  const answer = answerOf();
  span.updateName(`${answer.method} ${answer.route}`);
  span.setAttributes({ 'http.route': answer.route, 'http.response.status_code': answer.statusCode });
  // Semantic conventions: a server span fails on 5xx only (4xx are the client's errors).
  if (answer.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (answer.aborted) span.setAttribute('http.response.aborted', true);
  span.end();
}
