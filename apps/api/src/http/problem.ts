import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import {
  PROBLEM_CONTENT_TYPE,
  problemTypeUri,
  type FieldError,
  type ProblemBody,
  type RejectedEvent,
  type ProblemType,
} from '@pitchpulse/contract';
import type { BreakerOpenError } from '@pitchpulse/breaker';
import type { Logger } from '@pitchpulse/observability';

export interface ProblemInit {
  type: ProblemType;
  status: number;
  title: string;
  detail?: string;
  /** Validation failures, each naming its field by JSON Pointer. */
  errors?: FieldError[];
  /** Response headers to set, e.g. Retry-After. */
  headers?: Record<string, string>;
  /** A batch with no valid event: each event with its errors (an extension member, RFC 9457 §3.2). */
  rejected?: RejectedEvent[];
}

/** An error that becomes an application/problem+json response; throw it or pass it to `next`. */
export class ProblemError extends Error {
  readonly type: ProblemType;
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;
  readonly rejected?: RejectedEvent[];

  constructor(init: ProblemInit) {
    super(init.detail ?? init.title);
    this.type = init.type;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.rejected = init.rejected;
  }
}

export function sendProblem(res: Response, problem: ProblemError): void {
  const requestId = res.locals.requestId as string | undefined;
  res.locals.problemDetail = problem.detail ?? problem.title;
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  const body: ProblemBody = {
    type: problemTypeUri(problem.type),
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...(problem.rejected ? { rejected: problem.rejected } : {}),
    ...(requestId ? { requestId } : {}),
  };
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

export const bodyTooLarge = (limit: number, path: string): ProblemError =>
  new ProblemError({
    type: 'body-too-large',
    status: 413,
    title: 'Body too large',
    detail: `The body is larger than the ${limit}-byte limit of ${path}`,
  });

export const invalidEvent = (errors: FieldError[], detail?: string): ProblemError =>
  new ProblemError({
    type: 'invalid-event',
    status: 400,
    title: 'Invalid event',
    detail: detail ?? errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });

export const invalidRetraction = (errors: FieldError[]): ProblemError =>
  new ProblemError({
    type: 'invalid-retraction',
    status: 400,
    title: 'Invalid retraction',
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });

const UNAVAILABLE_TITLES = {
  overloaded: 'Overloaded',
  'kafka-unavailable': 'Kafka unavailable',
  'clickhouse-unavailable': 'ClickHouse unavailable',
} as const;

export const serviceUnavailable = (
  type: keyof typeof UNAVAILABLE_TITLES,
  detail: string,
  retryAfterSeconds: number,
): ProblemError =>
  new ProblemError({
    type,
    status: 503,
    title: UNAVAILABLE_TITLES[type],
    detail,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

/** A 503 for a call an open circuit breaker refused: Retry-After is when its probe call is let through. */
export const breakerOpen = (
  type: 'kafka-unavailable' | 'clickhouse-unavailable',
  detail: string,
  err: BreakerOpenError,
): ProblemError => serviceUnavailable(type, detail, Math.max(1, Math.ceil(err.retryAfterMs / 1000)));

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(
    res,
    new ProblemError({
      type: 'not-found',
      status: 404,
      title: 'Not found',
      detail: `${req.method} ${req.path}`,
    }),
  );
};

/** Answers `405` with `Allow` for a path that exists under other methods. */
export const methodNotAllowed =
  (allowed: string[]): RequestHandler =>
  (req, res) => {
    sendProblem(
      res,
      new ProblemError({
        type: 'method-not-allowed',
        status: 405,
        title: 'Method not allowed',
        detail: `${req.method} is not supported here; use ${allowed.join(', ')}`,
        headers: { Allow: allowed.join(', ') },
      }),
    );
  };

/** The body holds bytes that are not UTF-8 (see the ingest routes' body parser). */
export class InvalidUtf8Error extends Error {
  constructor() {
    super('The body is not valid UTF-8');
  }
}

interface HttpError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  limit?: number;
  charset?: string;
  encoding?: string;
}

/** What body-parser (and other http-errors) mean, told as problems. */
function fromHttpError(err: HttpError & Error, path: string): ProblemError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new ProblemError({
        type: 'malformed-json',
        status: 400,
        title: 'Malformed JSON',
        detail: `The body is not valid JSON: ${err.message}`,
      });
    case 'entity.too.large':
      return bodyTooLarge(err.limit ?? 0, path);
    case 'charset.unsupported':
      return new ProblemError({
        type: 'unsupported-media-type',
        status: 415,
        title: 'Unsupported charset',
        detail: `charset "${err.charset}" is not supported; send UTF-8 JSON`,
      });
    case 'encoding.unsupported':
      return new ProblemError({
        type: 'unsupported-media-type',
        status: 415,
        title: 'Unsupported content encoding',
        detail: `Content-Encoding "${err.encoding}" is not supported; send identity, gzip or deflate`,
      });
    case 'entity.verify.failed':
      if (!(err instanceof InvalidUtf8Error)) break;
      return new ProblemError({
        type: 'malformed-json',
        status: 400,
        title: 'Invalid UTF-8',
        detail: 'The body holds bytes that are not UTF-8; send the JSON encoded as UTF-8',
      });
    case 'request.aborted':
    case 'request.size.invalid':
      return new ProblemError({
        type: 'malformed-json',
        status: 400,
        title: 'Incomplete body',
        detail: 'The body ended before its declared length',
      });
  }
  const status = err.status ?? err.statusCode;
  if (status && status >= 400 && status < 500 && err.expose !== false) {
    return new ProblemError({ type: 'malformed-json', status, title: 'Bad request', detail: err.message });
  }
  return undefined;
}

/**
 * The last middleware: every error becomes application/problem+json. Client errors are answered as what they
 * are; anything unexpected is logged with the request id and answered 500 without internals.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem =
      err instanceof ProblemError
        ? err
        : err instanceof Error
          ? fromHttpError(err as HttpError & Error, req.path)
          : undefined;
    if (problem) {
      sendProblem(res, problem);
      return;
    }
    logger.error(
      { err, requestId: res.locals.requestId, method: req.method, path: req.path },
      'unhandled error',
    );
    sendProblem(
      res,
      new ProblemError({
        type: 'internal',
        status: 500,
        title: 'Internal error',
        detail: 'An unexpected error happened; it has been logged with the request id.',
      }),
    );
  };
}
