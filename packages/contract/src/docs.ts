import type { TSchema } from '@sinclair/typebox';
import { BatchAccepted, EventAccepted, EventBatch, MatchEvent } from './event';
import { FAILURE_HEADERS, FailureHeaders, DEFAULT_TOPICS, StoredEvent, TRACE_HEADERS } from './kafka';
import { PROBLEM_TYPES, Problem, problemTypeUri, type ProblemType } from './problem';
import { Health, Readiness } from './probes';
import {
  MatchRetractions,
  Retraction,
  RetractionAccepted,
  RetractionBatch,
  RetractionBatchAccepted,
  StoredRetraction,
} from './retraction';
import { HighlightList, HighlightPage, MatchList, MatchMetrics, PlayerList, Timeline } from './read';
import { schemaComponents } from './openapi';
import { DailyStats, PlayerLeaderboard, Retention, STATS_LIMITS, TopEvents } from './stats';

type Json = Record<string, unknown>;

const anchor = (title: string) => title.toLowerCase();
const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A schema's type in a few words, linking named shapes to their section. */
function typeOf(schema: Json): string {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop() as string;
    return `[${name}](#${anchor(name)})`;
  }
  if (Array.isArray(schema.enum)) return schema.enum.map(code).join(' \\| ');
  if (schema.const !== undefined) return code(schema.const);
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `${typeOf(schema.items as Json)}[]`;
  if (schema.type === 'object' && schema.patternProperties) {
    return `object of ${typeOf(Object.values(schema.patternProperties as Json)[0] as Json)}`;
  }
  const bounds: string[] = [];
  if (schema.format) bounds.push(String(schema.format));
  if (schema.minimum !== undefined || schema.maximum !== undefined) {
    bounds.push(`${schema.minimum ?? '…'}–${schema.maximum ?? '…'}`);
  }
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    bounds.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '…'} chars`);
  }
  if (schema.minItems !== undefined || schema.maxItems !== undefined) {
    bounds.push(`${schema.minItems ?? 0}–${schema.maxItems ?? '…'} items`);
  }
  const type = schema.type === undefined ? 'any' : String(schema.type);
  return bounds.length ? `${type} (${bounds.join(', ')})` : type;
}

function table(schema: Json): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(properties).map(
    ([name, p]) =>
      `| \`${name}\` | ${typeOf(p)} | ${required.has(name) ? 'yes' : 'no'} | ${cell(String(p.description ?? ''))} |`,
  );
  const closed = schema.additionalProperties === false ? 'Other members are not allowed.' : '';
  return ['| field | type | required | meaning |', '| --- | --- | --- | --- |', ...rows, '', closed].join(
    '\n',
  );
}

function section(components: Record<string, Json>, title: string, level = '###'): string {
  const schema = components[title]!;
  const description = schema.description ? `${String(schema.description)}\n\n` : '';
  return `${level} ${title}\n\n${description}${table(schema)}\n`;
}

/** Named shapes reached from `roots`, in first-seen order. */
function shapesOf(roots: TSchema[]): string[] {
  return Object.keys(schemaComponents(roots));
}

const GROUPS: Array<{ heading: string; intro: string; roots: TSchema[] }> = [
  {
    heading: 'Ingest',
    intro:
      '`POST /api/events` takes one MatchEvent; `POST /api/events/batch` takes an EventBatch. Both answer `202` ' +
      'only once Kafka acknowledged the write (acks=all). The same `eventId` sent again is stored and counted once.',
    roots: [MatchEvent, EventBatch, EventAccepted, BatchAccepted],
  },
  {
    heading: 'Retractions',
    intro:
      '`POST /api/retractions` takes one Retraction; `POST /api/retractions/batch` a RetractionBatch; both answer ' +
      '`202` once Kafka acknowledged the write, like the events. Once stored, every figure leaves the retracted ' +
      'event out, whichever of the two arrived first; the same event retracted twice counts as once. ' +
      '`GET /api/matches/{matchId}/retractions` lists them, with whether each event was stored.',
    roots: [Retraction, RetractionBatch, RetractionAccepted, RetractionBatchAccepted, MatchRetractions],
  },
  {
    heading: 'Errors',
    intro:
      'Every error is `application/problem+json` (RFC 9457). 400 malformed JSON, an invalid event or retraction · 401/403 ' +
      'missing or unknown API key (when keys are configured) · 404 unknown match · 405 wrong method · 413 body ' +
      'too large · 415 not JSON · 429 rate limited (`Retry-After`) · 503 Kafka or ClickHouse unavailable, or ' +
      'overloaded (`Retry-After`), never a `202`.',
    roots: [Problem],
  },
  {
    heading: 'Probes',
    intro: 'Both services (api and consumer) answer `GET /health` and `GET /ready` with these shapes.',
    roots: [Health, Readiness],
  },
  {
    heading: 'Read API',
    intro:
      'Every answer is computed from the aggregate tables; counts are of distinct `eventId`s. ' +
      '`GET /api/matches/{matchId}/stream` sends `event: metrics` with a MatchMetrics body as its data.',
    roots: [MatchMetrics, MatchList, Timeline, HighlightPage, HighlightList, PlayerList],
  },
  {
    heading: 'Stats API',
    intro:
      '`GET /api/stats/daily`, `/top-events`, `/players` and `/retention`: figures across matches by UTC day. ' +
      `Dates are \`YYYY-MM-DD\`; a range spans at most ${STATS_LIMITS.maxSpanDays} days. Counts are of distinct ` +
      '`eventId`s.',
    roots: [DailyStats, TopEvents, PlayerLeaderboard, Retention],
  },
  {
    heading: 'Kafka',
    intro:
      `Topics: \`${DEFAULT_TOPICS.events}\` (key = matchId, so a match keeps its order), \`${DEFAULT_TOPICS.retry}\` ` +
      `(delayed re-attempts) and \`${DEFAULT_TOPICS.dlq}\` (inspect with \`pnpm dlq list\`, replay with ` +
      '`pnpm dlq replay`). Retry and DLQ copies keep key and value byte for byte and add the failure headers. ' +
      'A retraction travels on the events topic too (`"kind": "retraction"`), so it is ordered with its match.',
    roots: [StoredEvent, StoredRetraction, FailureHeaders],
  },
];

/** docs/contract.md: every wire shape, generated from the schemas the services validate with. */
export function renderContractDoc(): string {
  const components = schemaComponents(GROUPS.flatMap((g) => g.roots));
  const seen = new Set<string>();
  const parts = [
    '# The wire contract',
    '',
    '<!-- Generated from packages/contract by `pnpm contract:docs`; a test fails when this file is out of date. -->',
    '',
    'Every shape that crosses a process boundary, as the services validate it. The API serves the same ' +
      'schemas as OpenAPI 3.1 at `/openapi.json` (Swagger UI at `/docs`); `docs/openapi.json` is a copy.',
    '',
  ];
  for (const group of GROUPS) {
    parts.push(`## ${group.heading}`, '', group.intro, '');
    for (const title of shapesOf(group.roots)) {
      if (seen.has(title)) continue;
      seen.add(title);
      parts.push(section(components, title));
    }
    if (group.heading === 'Errors') {
      parts.push('Problem types:', '', '| type | meaning |', '| --- | --- |');
      for (const [t, d] of Object.entries(PROBLEM_TYPES)) {
        parts.push(`| \`${problemTypeUri(t as ProblemType)}\` | ${cell(d)} |`);
      }
      parts.push('');
    }
  }
  parts.push(
    `Header names: ${Object.values(FAILURE_HEADERS)
      .map((h) => `\`${h}\``)
      .join(', ')}; every value is a string.`,
    '',
    `Every message the API writes also carries ${Object.values(TRACE_HEADERS)
      .map((h) => `\`${h}\``)
      .join(
        ', ',
      )}: the request id of the POST that wrote it (its \`X-Request-Id\`) and, while tracing is on, its ` +
      'W3C trace context. The retry and DLQ copies keep them.',
    '',
  );
  return parts.join('\n');
}
