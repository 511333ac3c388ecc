import type { TSchema } from '@sinclair/typebox';
import { MatchAnomalies } from './anomaly';
import { BatchAccepted, EventAccepted, EventBatch, MAX_BATCH_EVENTS, MatchEvent } from './event';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, Problem, problemTypeUri, type ProblemType } from './problem';
import { Health, Readiness } from './probes';
import {
  MAX_BATCH_RETRACTIONS,
  MatchRetractions,
  Retraction,
  RetractionAccepted,
  RetractionBatch,
  RetractionBatchAccepted,
} from './retraction';
import {
  HIGHLIGHT_STATUSES,
  HighlightList,
  HighlightPage,
  LIVE_WINDOW_MINUTES,
  MatchIdParam,
  MatchList,
  MatchMetrics,
  PLAYER_SORTS,
  PlayerList,
  READ_LIMITS,
  TIMELINE_BUCKETS,
  Timeline,
} from './read';
import {
  DailyStats,
  ISO_DATE_PATTERN,
  PlayerLeaderboard,
  RETENTION_WINDOWS,
  Retention,
  STATS_LIMITS,
  STATS_PLAYER_SORTS,
  TopEvents,
} from './stats';

export interface OpenApiOptions {
  /** Whether API keys are configured (x-api-key required on the write routes). */
  apiKeys: boolean;
  version?: string;
}

type Json = Record<string, unknown>;

/** The documents' top-level shapes; every titled schema inside them becomes a component of its own. */
const ROOTS: TSchema[] = [
  MatchEvent,
  EventBatch,
  EventAccepted,
  BatchAccepted,
  Retraction,
  RetractionBatch,
  RetractionAccepted,
  RetractionBatchAccepted,
  MatchRetractions,
  MatchAnomalies,
  Problem,
  Health,
  Readiness,
  MatchMetrics,
  MatchList,
  Timeline,
  HighlightPage,
  HighlightList,
  PlayerList,
  DailyStats,
  TopEvents,
  PlayerLeaderboard,
  Retention,
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Plain JSON copies of every titled schema, nested titled schemas replaced by `$ref`s to their component. */
export function schemaComponents(roots: TSchema[] = ROOTS): Record<string, Json> {
  const out: Record<string, Json> = {};
  const visit = (node: unknown, root: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => visit(n, false));
    if (node === null || typeof node !== 'object') return node;
    const title = (node as { title?: unknown }).title;
    const copy = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, visit(v, false)]));
    if (typeof title !== 'string') return copy;
    out[title] ??= copy;
    return root ? copy : ref(title);
  };
  for (const schema of roots) visit(schema, true);
  return out;
}

const json = (schema: unknown, example?: unknown) => ({
  'application/json': { schema, ...(example === undefined ? {} : { example }) },
});
const ok = (description: string, schema: string) => ({ description, content: json(ref(schema)) });
const problem = (description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
});
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
};

/** The contract's own examples (first example, else first allowed value, of each property). */
export const EXAMPLE_EVENT: MatchEvent = Object.fromEntries(
  Object.entries(MatchEvent.properties).map(([name, property]) => {
    const p = property as { examples?: readonly unknown[]; enum?: readonly unknown[] };
    return [name, p.examples?.[0] ?? p.enum?.[0]];
  }),
) as MatchEvent;

function ingestPaths(apiKeys: boolean): Json {
  const security = apiKeys ? [{ ApiKey: [] }] : [];
  const writeErrors = {
    '400': problem('Malformed JSON, no body, or an invalid event: `errors` lists every field'),
    ...(apiKeys
      ? { '401': problem('No x-api-key header'), '403': problem('The x-api-key is not accepted') }
      : {}),
    '413': problem('Body too large'),
    '415': problem('Not application/json'),
    '429': problem('Rate limited (per API key, or per client address when the API is open)', retryAfter),
    '503': problem(
      'Kafka unavailable or slow, or the API is overloaded: not accepted; send again after Retry-After (eventIds make it safe)',
      retryAfter,
    ),
  };
  const batchSchema = {
    ...ref('EventBatch'),
    description: 'Each item is a MatchEvent, validated on its own',
  };
  const exampleRetraction = {
    eventId: EXAMPLE_EVENT.eventId,
    matchId: EXAMPLE_EVENT.matchId,
    reason: 'VAR: offside in the build-up',
  };
  const retractionErrors = {
    ...writeErrors,
    '400': problem('Malformed JSON, no body, or an invalid retraction: `errors` lists every field'),
  };
  return {
    '/api/retractions': {
      post: {
        tags: ['ingest'],
        operationId: 'retractEvent',
        summary: 'Take an event back (a goal disallowed): every figure leaves it out once stored',
        description:
          'Retracting an event twice is the same as once; a retraction may arrive before its event (it is kept, ' +
          'and the event never counts). See GET /api/matches/{matchId}/retractions.',
        security,
        requestBody: { required: true, content: json(ref('Retraction'), exampleRetraction) },
        responses: { '202': ok('Durably written to Kafka', 'RetractionAccepted'), ...retractionErrors },
      },
    },
    '/api/retractions/batch': {
      post: {
        tags: ['ingest'],
        operationId: 'retractBatch',
        summary: `Send up to ${MAX_BATCH_RETRACTIONS} retractions; valid ones are accepted, invalid ones listed by index`,
        security,
        requestBody: {
          required: true,
          content: json(
            { ...ref('RetractionBatch'), description: 'Each item is a Retraction, validated on its own' },
            { retractions: [exampleRetraction] },
          ),
        },
        responses: {
          '202': ok(
            'Every valid retraction is durably written to Kafka; invalid ones are listed in `rejected`',
            'RetractionBatchAccepted',
          ),
          ...retractionErrors,
        },
      },
    },
    '/api/events': {
      post: {
        tags: ['ingest'],
        operationId: 'ingestEvent',
        summary: 'Send one match event',
        security,
        requestBody: { required: true, content: json(ref('MatchEvent'), EXAMPLE_EVENT) },
        responses: { '202': ok('Durably written to Kafka', 'EventAccepted'), ...writeErrors },
      },
    },
    '/api/events/batch': {
      post: {
        tags: ['ingest'],
        operationId: 'ingestBatch',
        summary: `Send up to ${MAX_BATCH_EVENTS} events; valid ones are accepted, invalid ones listed by index`,
        security,
        requestBody: {
          required: true,
          content: json(batchSchema, { events: [EXAMPLE_EVENT, { ...EXAMPLE_EVENT, teamId: 3 }] }),
        },
        responses: {
          '202': ok(
            'Every valid event is durably written to Kafka; invalid ones are listed in `rejected`',
            'BatchAccepted',
          ),
          ...writeErrors,
        },
      },
    },
  };
}

const operationsPaths: Json = {
  '/health': {
    get: {
      tags: ['operations'],
      operationId: 'health',
      summary: 'Liveness: the process is up (no dependency checks)',
      responses: { '200': ok('Alive', 'Health') },
    },
  },
  '/ready': {
    get: {
      tags: ['operations'],
      operationId: 'ready',
      summary:
        'Readiness: can accept writes (Kafka reachable, produce breaker not open, not draining); ClickHouse ' +
        'reported in `checks`, circuit breakers in `breakers`',
      responses: {
        '200': ok('Ready (ClickHouse may still be unhealthy: read routes answer 503 meanwhile)', 'Readiness'),
        '503': ok('Not ready; `checks` and `reasons` tell why', 'Readiness'),
      },
    },
  },
  '/metrics': {
    get: {
      tags: ['operations'],
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      responses: {
        '200': {
          description: 'Prometheus text format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
};

const matchIdParam = { name: 'matchId', in: 'path', required: true, schema: MatchIdParam };
const intParam = (name: string, description: string, min: number, max: number, dflt: number) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'integer', minimum: min, maximum: max, default: dflt },
});
const offsetParam = intParam('offset', 'Items to skip', 0, READ_LIMITS.maxOffset, 0);
/**
 * A GET open without an API key (the read, highlight and stats routes): its 200 and the problems each of them can
 * answer — an invalid parameter (`invalid` says which), a missing resource when `notFound` says what, a wrong
 * method, ClickHouse down or the API overloaded.
 */
const openGet = (
  tag: string,
  operation: { operationId: string; summary: string; parameters: unknown[]; extra?: Json },
  response: Json,
  problems: { invalid: string; notFound?: string },
) => ({
  get: {
    tags: [tag],
    operationId: operation.operationId,
    summary: operation.summary,
    security: [],
    parameters: operation.parameters,
    ...operation.extra,
    responses: {
      '200': response,
      '400': problem(problems.invalid),
      ...(problems.notFound ? { '404': problem(problems.notFound) } : {}),
      '405': problem('Only GET and HEAD'),
      '503': problem('ClickHouse unavailable, or the API is overloaded', retryAfter),
    },
  },
});
const INVALID_PARAMETER = 'A parameter is invalid (unknown, repeated, out of range); `errors` names it';
const readGet = (
  operationId: string,
  summary: string,
  parameters: unknown[],
  response: Json,
  extra: Json = {},
) =>
  openGet('matches', { operationId, summary, parameters, extra }, response, {
    invalid: INVALID_PARAMETER,
    ...(parameters.includes(matchIdParam) ? { notFound: 'No events have been stored for this match' } : {}),
  });

const readPaths: Json = {
  '/api/matches': readGet(
    'listMatches',
    'Matches with events: live ones first, then by latest event, newest first',
    [intParam('limit', 'Page size', 1, READ_LIMITS.matches.max, READ_LIMITS.matches.default), offsetParam],
    ok('A page of matches', 'MatchList'),
    {
      description:
        `A match is live while the API received one of its events in the last ${LIVE_WINDOW_MINUTES} minutes ` +
        '(receipt time: an event stamped in the future does not keep a match live). ' +
        'Which matches are on a page is shared by requests for up to half a second.',
    },
  ),
  '/api/matches/{matchId}/metrics': readGet(
    'matchMetrics',
    'Totals, per type and team, peak minutes (wall clock and match), first/last event, latencies',
    [matchIdParam],
    ok('The match’s metrics', 'MatchMetrics'),
  ),
  '/api/matches/{matchId}/timeline': readGet(
    'matchTimeline',
    'Distinct events per minute bucket and event type',
    [
      matchIdParam,
      {
        name: 'bucket',
        in: 'query',
        required: false,
        description: 'Bucket size: 1 or 5 minutes of play',
        schema: { type: 'string', enum: Object.keys(TIMELINE_BUCKETS), default: '1m' },
      },
    ],
    ok('Buckets with events, in minute order', 'Timeline'),
  ),
  '/api/matches/{matchId}/highlights': readGet(
    'matchHighlights',
    'The match’s highlights (goals and red cards unless configured), newest first, with their enrichment status',
    [
      matchIdParam,
      intParam('limit', 'Page size', 1, READ_LIMITS.highlights.max, READ_LIMITS.highlights.default),
      offsetParam,
    ],
    ok('A page of highlights', 'HighlightPage'),
  ),
  '/api/matches/{matchId}/players': readGet(
    'matchPlayers',
    'Top players of the match by events, goals or shots',
    [
      matchIdParam,
      intParam('limit', 'Players to list', 1, READ_LIMITS.players.max, READ_LIMITS.players.default),
      {
        name: 'by',
        in: 'query',
        required: false,
        description: 'Ranking; ties fall back to events, goals, shots, then player id',
        schema: { type: 'string', enum: [...PLAYER_SORTS], default: 'events' },
      },
    ],
    ok('Ranked players', 'PlayerList'),
  ),
  '/api/matches/{matchId}/retractions': readGet(
    'matchRetractions',
    'The match’s retractions, oldest first, and whether each retracted event was stored',
    [matchIdParam],
    ok('The retractions', 'MatchRetractions'),
  ),
  '/api/matches/{matchId}/anomalies': readGet(
    'matchAnomalies',
    'What the feed-integrity rules flagged in the match: per rule, distinct events, first/last seen, examples',
    [matchIdParam],
    ok('The rules that fired (an empty list when none)', 'MatchAnomalies'),
  ),
  '/api/matches/{matchId}/stream': readGet(
    'matchStream',
    'Live metrics over Server-Sent Events',
    [matchIdParam],
    {
      description:
        'A `text/event-stream`: a `retry:` hint (ms), then an `event: metrics` whose data is a MatchMetrics ' +
        'body (`id:` = rows stored for the match) right away and again whenever the match’s numbers change ' +
        '(one shared poll per match however many clients listen). A comment line (`: heartbeat`) every 15 s ' +
        'keeps proxies from closing an idle stream. The server ends the stream when it shuts down: reconnect ' +
        '(EventSource does).',
      content: {
        'text/event-stream': {
          schema: { type: 'string' },
          'x-events': { metrics: ref('MatchMetrics') },
          example:
            'retry: 3000\nid: 1234\nevent: metrics\ndata: {"matchId":"match-123",…}\n\n: heartbeat\n\n',
        },
      },
    },
  ),
};

const dateParam = (name: string, description: string) => ({
  name,
  in: 'query',
  required: true,
  description: `${description}: a real calendar date, YYYY-MM-DD (UTC), ${STATS_LIMITS.minDate} to ${STATS_LIMITS.maxDate}`,
  schema: { type: 'string', pattern: ISO_DATE_PATTERN, examples: ['2024-01-15'] },
});
const rangeParams = [
  dateParam('from', 'First day of the range'),
  dateParam(
    'to',
    `Last day of the range (included); from ≤ to, at most ${STATS_LIMITS.maxSpanDays} days in all`,
  ),
];
const statsGet = (operationId: string, summary: string, parameters: unknown[], response: Json) =>
  openGet('stats', { operationId, summary, parameters }, response, {
    invalid:
      'A parameter is missing, unknown, repeated or invalid (not a calendar date, from after to, a span over ' +
      `${STATS_LIMITS.maxSpanDays} days, out of range); \`errors[0].path\` names it`,
  });

const highlightGet = (
  operationId: string,
  summary: string,
  parameters: unknown[],
  response: Json,
  notFound?: string,
) =>
  openGet('highlights', { operationId, summary, parameters }, response, {
    invalid: INVALID_PARAMETER,
    ...(notFound ? { notFound } : {}),
  });

const LIST = READ_LIMITS.highlightList;
const highlightPaths: Json = {
  '/api/highlights': highlightGet(
    'listHighlights',
    'Highlights of every match (or one), newest first, optionally of one status; first pages ≤ 1 s stale',
    [
      { name: 'matchId', in: 'query', required: false, description: 'Only this match', schema: MatchIdParam },
      {
        name: 'status',
        in: 'query',
        required: false,
        description: 'Only highlights in this status',
        schema: { type: 'string', enum: [...HIGHLIGHT_STATUSES] },
      },
      intParam('page', 'Page number, from 1', 1, LIST.maxPage, 1),
      intParam('pageSize', 'Highlights per page', 1, LIST.maxPageSize, LIST.defaultPageSize),
    ],
    ok('A page of highlights', 'HighlightList'),
  ),
  '/api/highlights/{highlightId}': highlightGet(
    'getHighlight',
    'One highlight by id (the eventId of its event)',
    [{ name: 'highlightId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    ok('The highlight', 'Highlight'),
    'No highlight has this id',
  ),
};

const statsPaths: Json = {
  '/api/stats/daily': statsGet(
    'dailyStats',
    'Per UTC day: matches with events, distinct events, goals, cards, distinct active players',
    rangeParams,
    ok('Every day of the range, zero days included', 'DailyStats'),
  ),
  '/api/stats/top-events': statsGet(
    'topEvents',
    'Event types ranked by distinct events in the range',
    [
      ...rangeParams,
      intParam('limit', 'Types to list', 1, STATS_LIMITS.topEvents.max, STATS_LIMITS.topEvents.default),
    ],
    ok('Event types, most first', 'TopEvents'),
  ),
  '/api/stats/players': statsGet(
    'playerLeaderboard',
    'Leaderboard of players across matches: matches, goals, shots, cards, events',
    [
      ...rangeParams,
      {
        name: 'by',
        in: 'query',
        required: false,
        description: 'Ranking; ties fall back to events, then playerId (byte order)',
        schema: { type: 'string', enum: [...STATS_PLAYER_SORTS], default: 'events' },
      },
      intParam('limit', 'Page size', 1, STATS_LIMITS.players.max, STATS_LIMITS.players.default),
      intParam('offset', 'Players to skip', 0, STATS_LIMITS.maxOffset, 0),
    ],
    ok('A page of the leaderboard', 'PlayerLeaderboard'),
  ),
  '/api/stats/retention': statsGet(
    'retention',
    'Cohort retention: of the players first seen in window 0, how many appear in each window',
    [
      dateParam('start', 'First day of window 0'),
      {
        name: 'window',
        in: 'query',
        required: false,
        description: 'Window length: a day, or 7 days from `start` (not calendar weeks)',
        schema: {
          type: 'string',
          enum: Object.keys(RETENTION_WINDOWS),
          default: STATS_LIMITS.retention.defaultWindow,
        },
      },
      {
        name: 'windows',
        in: 'query',
        required: false,
        description:
          `Number of windows: 1–${STATS_LIMITS.retention.maxWindows.week} weeks or ` +
          `1–${STATS_LIMITS.retention.maxWindows.day} days`,
        schema: {
          type: 'integer',
          minimum: 1,
          maximum: STATS_LIMITS.retention.maxWindows.day,
          default: STATS_LIMITS.retention.defaultWindows,
        },
      },
    ],
    ok('The cohort and its windows', 'Retention'),
  ),
};

/** The OpenAPI 3.1 document of the API, built from the contract's schemas (the ones ajv and the tests use). */
export function buildOpenApi(options: OpenApiOptions): Json {
  const schemas = schemaComponents();
  (schemas.Problem as Json)['x-problem-types'] = Object.fromEntries(
    Object.entries(PROBLEM_TYPES).map(([t, d]) => [problemTypeUri(t as ProblemType), d]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'PitchPulse API',
      version: options.version ?? '1.0.0',
      description:
        'Real-time match events in, per-match analytics out. A `202` is sent only once Kafka has the event ' +
        '(acks=all); `eventId` makes writes idempotent, so retry freely on 503 and network errors. ' +
        'Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'ingest', description: 'Match-event writes' },
      {
        name: 'matches',
        description: `Per-match analytics from the materialized views. ${String(MatchMetrics.description)}`,
      },
      {
        name: 'stats',
        description: `Stats across matches, by UTC day. ${String(DailyStats.description)}`,
      },
      {
        name: 'highlights',
        description:
          'Goals and red cards (or the configured types) as highlights: PENDING when stored, READY once the ' +
          'enrichment worker wrote a title and summary, FAILED when its enricher kept failing.',
      },
      { name: 'operations', description: 'Probes and metrics' },
    ],
    paths: {
      ...ingestPaths(options.apiKeys),
      ...readPaths,
      ...highlightPaths,
      ...statsPaths,
      ...operationsPaths,
    },
    components: {
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas,
    },
  };
}
