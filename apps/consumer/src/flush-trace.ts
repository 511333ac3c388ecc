import { dbSpanAttributes } from '@pitchpulse/clickhouse';
import { requestIdOf } from '@pitchpulse/kafka';
import {
  ATTR,
  SpanKind,
  contextOf,
  failed,
  recordSpan,
  spanContextOf,
  startSpan,
  tracingOn,
  type Context,
  type Link,
  type Span,
} from '@pitchpulse/tracing';
import type { ConsumedMessage } from './batch-buffer';

/** A batch span links to at most this many message contexts (the SDK's default link limit). */
const MAX_LINKS = 128;
/** A log line names at most this many request ids. */
const MAX_LOGGED_REQUESTS = 20;

/** One request's share of a flush: how many of its events, and the trace context its messages carry. */
interface RequestShare {
  requestId: string;
  context: Context;
  events: number;
}

/** The requests whose messages a flush holds, by request id (messages without one are left out). */
function requestsOf(items: ConsumedMessage[]): RequestShare[] {
  const byId = new Map<string, RequestShare>();
  for (const item of items) {
    const requestId = requestIdOf(item.headers);
    if (requestId === undefined) continue;
    const share = byId.get(requestId);
    if (share) share.events += 1;
    else byId.set(requestId, { requestId, context: contextOf(item.headers), events: 1 });
  }
  return [...byId.values()];
}

/**
 * The trace of one flush. A `process` span for the batch, linked to the contexts of the messages in it, with the
 * ClickHouse insert as its child; and, so that one POST's trace reaches the row, a `process` span per request in
 * the batch, parented to the context its messages carried and linked to the batch span, with a child span for the
 * insert that stored them. Without tracing nothing is recorded, and the request ids are gathered only when a log
 * line asks for them.
 */
export class FlushTrace {
  private gathered: RequestShare[] | undefined;
  private readonly name: string;
  /** The batch span (undefined with tracing off): the parent of the flush's ClickHouse calls. */
  readonly span: Span | undefined;
  private readonly startedAt = Date.now();
  private insert: { startedAt: number; endedAt: number; rows: number } | undefined;

  constructor(
    topic: string,
    private readonly items: ConsumedMessage[],
  ) {
    this.name = `process ${topic}`;
    this.span = startSpan(this.name, {
      kind: SpanKind.CONSUMER,
      links: tracingOn() ? this.links() : [],
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.batch.message_count': items.length,
      },
    });
  }

  /** The requests the batch's messages came from (gathered once, when first needed). */
  private get requests(): RequestShare[] {
    return (this.gathered ??= requestsOf(this.items));
  }

  /**
   * Notes a successful insert of `rows` of the batch (a data error splits a batch into several); each request's
   * span gets one insert span, from the first insert's start to the last one's end.
   */
  inserted(startedAt: number, endedAt: number, rows: number): void {
    this.insert = {
      startedAt: this.insert?.startedAt ?? startedAt,
      endedAt,
      rows: (this.insert?.rows ?? 0) + rows,
    };
  }

  /** For the log line: the request ids (the first few) and how many requests the flush held. */
  requestIds(): { requests: number; requestIds: string[] } {
    return {
      requests: this.requests.length,
      requestIds: this.requests.slice(0, MAX_LOGGED_REQUESTS).map((r) => r.requestId),
    };
  }

  end(error?: unknown): void {
    if (!this.span) return;
    const endedAt = Date.now();
    const batchLink: Link[] = [{ context: this.span.spanContext() }];
    for (const request of this.requests) {
      const span = recordSpan(this.name, {
        kind: SpanKind.CONSUMER,
        parent: request.context,
        links: batchLink,
        attributes: { [ATTR.requestId]: request.requestId, [ATTR.events]: request.events },
        startTime: this.startedAt,
        endTime: endedAt,
        error,
      });
      if (span && this.insert) this.recordInsert(span);
    }
    if (error !== undefined) failed(this.span, error);
    this.span.end(endedAt);
  }

  private recordInsert(parent: Span): void {
    recordSpan('INSERT events', {
      kind: SpanKind.CLIENT,
      parent,
      attributes: dbSpanAttributes('INSERT', { table: 'events', rows: this.insert!.rows }),
      startTime: this.insert!.startedAt,
      endTime: this.insert!.endedAt,
    });
  }

  private links(): Link[] {
    const links: Link[] = [];
    for (const { context } of this.requests) {
      const spanContext = spanContextOf(context);
      if (spanContext) links.push({ context: spanContext });
      if (links.length === MAX_LINKS) break;
    }
    return links;
  }
}
