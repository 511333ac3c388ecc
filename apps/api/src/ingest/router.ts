import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler, type Response, type Router } from 'express';
import {
  TRACE_HEADERS,
  type BatchAccepted,
  type EventAccepted,
  type RetractionAccepted,
  type RetractionBatchAccepted,
} from '@pitchpulse/contract';
import {
  encodeEventMessage,
  encodeRetractionMessage,
  validateBatch,
  validateEvent,
  validateRetraction,
  validateRetractionBatch,
  type BatchValidation,
  type EncodedMessage,
} from '@pitchpulse/events';
import {
  ProduceError,
  ProducerClosedError,
  ProducerOverloadedError,
  ProduceTimeoutError,
  type ProduceMessage,
} from '@pitchpulse/kafka';
import { BreakerOpenError } from '@pitchpulse/breaker';
import { failed, traceHeaders } from '@pitchpulse/tracing';
import { compose } from '../http/compose';
import { requestSpan } from '../http/observe';
import { judgeSource, sourceOf } from './source-flags';
import type { AppContext } from '../context';
import {
  InvalidUtf8Error,
  ProblemError,
  bodyTooLarge,
  breakerOpen,
  invalidEvent,
  invalidRetraction,
  methodNotAllowed,
  serviceUnavailable,
} from '../http/problem';

/** What a produce failure means to the caller: always 503 + Retry-After, never a 202. */
function unavailable(err: unknown): unknown {
  if (err instanceof BreakerOpenError) {
    return breakerOpen(
      'kafka-unavailable',
      'Kafka has been failing, so writes are refused at once until it answers again (circuit breaker open); nothing was written',
      err,
    );
  }
  if (!(err instanceof ProduceError)) return err;
  if (err instanceof ProducerOverloadedError) {
    return serviceUnavailable('overloaded', 'Too many events are waiting for Kafka; nothing was accepted', 1);
  }
  const detail =
    err instanceof ProduceTimeoutError
      ? `${err.message}; the events may or may not have been written: send them again (the same eventIds are counted once)`
      : err instanceof ProducerClosedError
        ? `Kafka producer unavailable (${err.message}); nothing was written`
        : 'Kafka refused the write: send the events again (the same eventIds are counted once)';
  return serviceUnavailable('kafka-unavailable', detail, err instanceof ProducerClosedError ? 5 : 2);
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * body-parser decodes bytes that are not UTF-8 to U+FFFD, so the event stored would differ from the one sent.
 * Thrown here, body-parser reports it as `entity.verify.failed`; the problem handler answers 400.
 */
function refuseInvalidUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) throw new InvalidUtf8Error();
}

/** 400 without a body, 415 unless it is JSON: checked before any byte is parsed. */
const requireJson: RequestHandler = (req, _res, next) => {
  const contentLength = req.headers['content-length'];
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (contentLength !== undefined && contentLength !== '0');
  if (!hasBody) {
    next(
      new ProblemError({
        type: 'missing-body',
        status: 400,
        title: 'Missing body',
        detail: 'Send the event as a JSON body with Content-Type: application/json',
      }),
    );
    return;
  }
  if (!req.is(JSON_TYPES)) {
    next(
      new ProblemError({
        type: 'unsupported-media-type',
        status: 415,
        title: 'Unsupported media type',
        detail: `Content-Type must be application/json, got ${req.headers['content-type'] ?? 'none'}`,
      }),
    );
    return;
  }
  next();
};

/**
 * 413 at once when Content-Length already says too much (body-parser would first read and discard the whole
 * declared body). Node then discards the rest itself — the connection is not cut, which would reset it under a
 * client still sending and lose the answer — for at most REQUEST_TIMEOUT_MS.
 */
const declaredWithin =
  (limit: number): RequestHandler =>
  (req, _res, next) => {
    const declared = Number(req.headers['content-length']);
    next(declared > limit ? bodyTooLarge(limit, req.path) : undefined);
  };

/** Writes a JSON answer directly (express's res.json does content negotiation work this hot path does not need). */
function sendJson(
  res: Response,
  status: number,
  body: EventAccepted | BatchAccepted | RetractionAccepted | RetractionBatchAccepted,
): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** The 202 of a batch: every valid item is in Kafka, the others are listed with their errors. */
function batchAnswer<T extends { eventId: string }>(
  checked: BatchValidation<T>,
  receivedAt: number,
): BatchAccepted & RetractionBatchAccepted {
  return {
    status: checked.invalid.length === 0 ? 'accepted' : 'partially_accepted',
    timestamp: new Date(receivedAt).toISOString(),
    accepted: checked.valid.map(({ index, item }) => ({ index, eventId: item.eventId })),
    rejected: checked.invalid.map(({ index, errors }) => ({ index, errors })),
  };
}

/** A batch without one valid item: 400 listing every item's errors. */
function nothingValid(
  type: 'invalid-event' | 'invalid-retraction',
  what: string,
  checked: BatchValidation<unknown>,
) {
  return new ProblemError({
    type,
    status: 400,
    title: `Invalid ${what}`,
    detail: `None of the ${checked.invalid.length} ${what} is valid`,
    errors: checked.invalid.flatMap((i) => i.errors),
    rejected: checked.invalid.map(({ index, errors }) => ({ index, errors })),
  });
}

/** The ingest routes (POST only): load shedding answers them on the request head (see http/early-shed.ts). */
export const INGEST_PATHS = [
  '/api/events',
  '/api/events/batch',
  '/api/retractions',
  '/api/retractions/batch',
] as const;

/**
 * POST /api/events, /api/events/batch, /api/retractions and /api/retractions/batch: validate, write to Kafka
 * (acks=all), then 202. A retraction travels on the events topic, keyed by its match like the events.
 */
export function createIngestRouter(ctx: AppContext): Router {
  const { producer, topic, metrics, guard, now, sourceMonitor, anomalyReporter } = ctx;
  const admit = compose([guard, requireJson]);
  const router = express.Router();
  const parse = (limit: number) =>
    compose([
      declaredWithin(limit),
      express.json({ limit, strict: false, type: () => true, verify: refuseInvalidUtf8 }),
    ]);
  const onTopic = ({ key, value }: EncodedMessage): ProduceMessage => ({ topic, key, value });
  /**
   * Writes `messages` with the request's id and trace context as headers (kept on their retry/DLQ copies); the
   * produce call that carries them is traced by the producer, under or linked to the request's span.
   */
  const send = async (messages: ProduceMessage[], res: Response) => {
    const span = requestSpan(res);
    const headers = { [TRACE_HEADERS.requestId]: res.locals.requestId as string, ...traceHeaders(span) };
    for (const message of messages) message.headers = headers;
    try {
      await producer.send(messages, { parent: span });
    } catch (err) {
      // why the request got its 503 (breaker open, overloaded, timed out, refused), on the request's span
      if (span) failed(span, err);
      throw unavailable(err);
    }
  };

  router.post('/api/events', admit, parse(ctx.config.maxBodyBytes), async (req, res) => {
    const checked = validateEvent(req.body);
    if (!checked.ok) throw invalidEvent(checked.errors);
    const event = checked.value;
    const receivedAt = now();
    const flags = judgeSource(sourceMonitor, anomalyReporter, sourceOf(req, res), [event], receivedAt);
    await send([onTopic(encodeEventMessage(event, receivedAt, flags.of[0]))], res);
    flags.accepted();
    metrics.eventsIngested.inc({ event_type: event.eventType });
    const body: EventAccepted = {
      eventId: event.eventId,
      status: 'accepted',
      timestamp: new Date(receivedAt).toISOString(),
    };
    sendJson(res, 202, body);
  });

  router.post('/api/events/batch', admit, parse(ctx.config.maxBatchBodyBytes), async (req, res) => {
    const checked = validateBatch(req.body);
    if (!checked.ok) throw invalidEvent(checked.errors);
    const { valid } = checked.value;
    if (valid.length === 0) throw nothingValid('invalid-event', 'events', checked.value);
    const receivedAt = now();
    const events = valid.map(({ item }) => item);
    const flags = judgeSource(sourceMonitor, anomalyReporter, sourceOf(req, res), events, receivedAt);
    await send(
      events.map((item, i) => onTopic(encodeEventMessage(item, receivedAt, flags.of[i]))),
      res,
    );
    flags.accepted();
    const byType = new Map<string, number>();
    for (const { item } of valid) byType.set(item.eventType, (byType.get(item.eventType) ?? 0) + 1);
    for (const [eventType, count] of byType) metrics.eventsIngested.inc({ event_type: eventType }, count);
    sendJson(res, 202, batchAnswer(checked.value, receivedAt));
  });

  router.post('/api/retractions', admit, parse(ctx.config.maxBodyBytes), async (req, res) => {
    const checked = validateRetraction(req.body);
    if (!checked.ok) throw invalidRetraction(checked.errors);
    const receivedAt = now();
    await send([onTopic(encodeRetractionMessage(checked.value, receivedAt))], res);
    metrics.retractionsAccepted.inc();
    const body: RetractionAccepted = {
      eventId: checked.value.eventId,
      status: 'accepted',
      timestamp: new Date(receivedAt).toISOString(),
    };
    sendJson(res, 202, body);
  });

  router.post('/api/retractions/batch', admit, parse(ctx.config.maxBatchBodyBytes), async (req, res) => {
    const checked = validateRetractionBatch(req.body);
    if (!checked.ok) throw invalidRetraction(checked.errors);
    const { valid } = checked.value;
    if (valid.length === 0) throw nothingValid('invalid-retraction', 'retractions', checked.value);
    const receivedAt = now();
    await send(
      valid.map(({ item }) => onTopic(encodeRetractionMessage(item, receivedAt))),
      res,
    );
    metrics.retractionsAccepted.inc(valid.length);
    sendJson(res, 202, batchAnswer(checked.value, receivedAt));
  });

  for (const path of INGEST_PATHS) router.all(path, methodNotAllowed(['POST']));
  return router;
}
