import { EVENT_TYPES, MATCH_ID_PATTERN } from '@pitchpulse/events';
import { LIVE_WINDOW_MINUTES, PLAYER_SORTS, TIMELINE_BUCKETS } from '@pitchpulse/clickhouse';
import type { OpenApiFragment } from '../context';
import { READ_LIMITS } from './router';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const ok = (description: string, schema: string) => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
});
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
};

const matchIdParam = {
  name: 'matchId',
  in: 'path',
  required: true,
  description: 'The match, as sent in events (1–64 characters of A–Z a–z 0–9 . _ : -)',
  schema: { type: 'string', pattern: MATCH_ID_PATTERN, examples: ['match-123'] },
};
const intParam = (name: string, description: string, min: number, max: number, dflt: number) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'integer', minimum: min, maximum: max, default: dflt },
});
const offsetParam = intParam('offset', 'Items to skip', 0, READ_LIMITS.maxOffset, 0);

const readErrors = (notFound: boolean) => ({
  '400': problem('A parameter is invalid (unknown, repeated, out of range); `errors` names it'),
  ...(notFound ? { '404': problem('No events have been stored for this match') } : {}),
  '405': problem('Only GET and HEAD'),
  '503': problem('ClickHouse unavailable, or the API is overloaded', retryAfter),
});

const count = { type: 'integer', minimum: 0 };
const percentiles = (description: string) => ({
  type: 'object',
  description,
  required: ['p50', 'p95', 'p99'],
  properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } },
});

const freshness =
  'Answers come from ClickHouse’s aggregate tables and are kept in memory while the match’s change marker ' +
  'says they are current (checked by one shared poll, at most 1 s ago): no answer lags the stored events by ' +
  'more than a second. Counts are exact: an event delivered twice is counted once.';

/** The read API in /openapi.json (merged by buildOpenApi). */
export const readOpenApi: OpenApiFragment = {
  tags: [{ name: 'matches', description: `Per-match analytics from the materialized views. ${freshness}` }],
  paths: {
    '/api/matches': {
      get: {
        tags: ['matches'],
        operationId: 'listMatches',
        summary: 'Matches with events: live ones first, then by latest event, newest first',
        description:
          `A match is live while its latest event is at most ${LIVE_WINDOW_MINUTES} minutes old. ` +
          'Which matches are on a page is shared by requests for up to half a second.',
        security: [],
        parameters: [
          intParam('limit', 'Page size', 1, READ_LIMITS.matches.max, READ_LIMITS.matches.default),
          offsetParam,
        ],
        responses: { '200': ok('A page of matches', 'MatchList'), ...readErrors(false) },
      },
    },
    '/api/matches/{matchId}/metrics': {
      get: {
        tags: ['matches'],
        operationId: 'matchMetrics',
        summary: 'Totals, per type and team, peak minutes, first/last event, latencies',
        security: [],
        parameters: [matchIdParam],
        responses: { '200': ok('The match’s metrics', 'MatchMetrics'), ...readErrors(true) },
      },
    },
    '/api/matches/{matchId}/timeline': {
      get: {
        tags: ['matches'],
        operationId: 'matchTimeline',
        summary: 'Distinct events per minute bucket and event type',
        security: [],
        parameters: [
          matchIdParam,
          {
            name: 'bucket',
            in: 'query',
            required: false,
            description: 'Bucket size: 1 or 5 minutes of play',
            schema: { type: 'string', enum: Object.keys(TIMELINE_BUCKETS), default: '1m' },
          },
        ],
        responses: { '200': ok('Buckets with events, in minute order', 'Timeline'), ...readErrors(true) },
      },
    },
    '/api/matches/{matchId}/highlights': {
      get: {
        tags: ['matches'],
        operationId: 'matchHighlights',
        summary: 'Goals and red cards, newest first, each with a generated title',
        security: [],
        parameters: [
          matchIdParam,
          intParam('limit', 'Page size', 1, READ_LIMITS.highlights.max, READ_LIMITS.highlights.default),
          offsetParam,
        ],
        responses: { '200': ok('A page of highlights', 'HighlightPage'), ...readErrors(true) },
      },
    },
    '/api/matches/{matchId}/players': {
      get: {
        tags: ['matches'],
        operationId: 'matchPlayers',
        summary: 'Top players of the match by events, goals or shots',
        security: [],
        parameters: [
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
        responses: { '200': ok('Ranked players', 'PlayerList'), ...readErrors(true) },
      },
    },
    '/api/matches/{matchId}/stream': {
      get: {
        tags: ['matches'],
        operationId: 'matchStream',
        summary: 'Live metrics over Server-Sent Events',
        description:
          'A `text/event-stream`: a `retry:` hint (ms), then an `event: metrics` with the MatchMetrics body ' +
          '(`id:` = rows stored for the match) right away and again whenever the match’s numbers change (one ' +
          'shared poll per match however many clients listen; pushed within ~0.5 s of the insert). A comment ' +
          'line (`: heartbeat`) every 15 s keeps proxies from closing an idle stream; `X-Accel-Buffering: no` ' +
          'stops nginx buffering it. The server ends the stream when it shuts down: reconnect (EventSource does).',
        security: [],
        parameters: [matchIdParam],
        responses: {
          '200': {
            description: 'The event stream',
            content: {
              'text/event-stream': {
                schema: { type: 'string' },
                example:
                  'retry: 3000\nid: 1234\nevent: metrics\ndata: {"matchId":"match-123",…}\n\n: heartbeat\n\n',
              },
            },
          },
          ...readErrors(true),
        },
      },
    },
  },
  schemas: {
    MinuteCount: {
      type: 'object',
      required: ['minute', 'eventCount'],
      properties: {
        minute: {
          type: 'integer',
          description: 'Minute of play (the feed’s metadata.minute, else minutes since the first event)',
        },
        eventCount: count,
      },
    },
    TeamMetrics: {
      type: 'object',
      required: ['events', 'goals', 'shots', 'cards'],
      properties: {
        events: count,
        goals: count,
        shots: count,
        cards: { ...count, description: 'Yellow + red cards' },
      },
    },
    MatchMetrics: {
      type: 'object',
      description: freshness,
      required: [
        'matchId',
        'totalEvents',
        'eventsByType',
        'goals',
        'yellowCards',
        'redCards',
        'firstEventAt',
        'lastEventAt',
        'peakMinute',
        'peakEngagementPeriods',
        'byTeam',
        'responseTimePercentiles',
        'pipelineLatencyMs',
      ],
      properties: {
        matchId: { type: 'string' },
        totalEvents: { ...count, description: 'Distinct events (by eventId)' },
        eventsByType: {
          type: 'object',
          description: 'Distinct events per type; every type is listed, 0 when none',
          properties: Object.fromEntries(EVENT_TYPES.map((t) => [t, count])),
          additionalProperties: count,
        },
        goals: count,
        yellowCards: count,
        redCards: count,
        firstEventAt: {
          type: 'string',
          format: 'date-time',
          description: 'Earliest event timestamp (UTC, ms)',
        },
        lastEventAt: { type: 'string', format: 'date-time', description: 'Latest event timestamp (UTC, ms)' },
        peakMinute: { ...ref('MinuteCount'), description: 'The minute with most events (earliest on a tie)' },
        peakEngagementPeriods: {
          type: 'array',
          maxItems: 5,
          items: ref('MinuteCount'),
          description: 'The 5 busiest minutes, busiest first (earlier first on a tie)',
        },
        byTeam: {
          type: 'object',
          required: ['1', '2'],
          properties: { '1': ref('TeamMetrics'), '2': ref('TeamMetrics') },
        },
        responseTimePercentiles: {
          oneOf: [
            percentiles(
              'Response times (ms) of this API instance’s ingest routes (POST /api/events and ' +
                '/api/events/batch, every status) over the last 60 s: a sliding window, 1 % resolution',
            ),
            { type: 'null', description: 'No ingest request in the last 60 s' },
          ],
        },
        pipelineLatencyMs: percentiles(
          'API receipt → row in ClickHouse (ms) over every stored row of this match (exact quantiles)',
        ),
      },
    },
    MatchSummary: {
      type: 'object',
      required: ['matchId', 'totalEvents', 'score', 'firstEventAt', 'lastEventAt', 'live'],
      properties: {
        matchId: { type: 'string' },
        totalEvents: count,
        score: {
          type: 'object',
          description: 'Goals per team',
          required: ['1', '2'],
          properties: { '1': count, '2': count },
        },
        firstEventAt: { type: 'string', format: 'date-time' },
        lastEventAt: { type: 'string', format: 'date-time' },
        live: { type: 'boolean', description: `Latest event at most ${LIVE_WINDOW_MINUTES} minutes old` },
      },
    },
    MatchList: {
      type: 'object',
      required: ['total', 'limit', 'offset', 'items'],
      properties: {
        total: { ...count, description: 'Matches with at least one event' },
        limit: count,
        offset: count,
        items: { type: 'array', items: ref('MatchSummary') },
      },
    },
    Timeline: {
      type: 'object',
      required: ['matchId', 'bucket', 'buckets'],
      properties: {
        matchId: { type: 'string' },
        bucket: { type: 'string', enum: Object.keys(TIMELINE_BUCKETS) },
        buckets: {
          type: 'array',
          description: 'Buckets with at least one event (empty ones are left out)',
          items: {
            type: 'object',
            required: ['minute', 'total', 'counts'],
            properties: {
              minute: { type: 'integer', description: 'First minute of the bucket' },
              total: count,
              counts: { type: 'object', additionalProperties: count, description: 'Per event type' },
            },
          },
        },
      },
    },
    Highlight: {
      type: 'object',
      required: ['eventId', 'eventType', 'teamId', 'playerId', 'minute', 'timestamp', 'metadata', 'title'],
      properties: {
        eventId: { type: 'string', format: 'uuid' },
        eventType: { type: 'string', enum: ['goal', 'red_card'] },
        teamId: { type: 'integer', enum: [1, 2] },
        playerId: { type: ['string', 'null'] },
        minute: { type: 'integer' },
        timestamp: { type: 'string', format: 'date-time' },
        metadata: { type: 'object' },
        title: {
          type: 'string',
          examples: ["GOAL — Team 1, player-456 (45')", "RED CARD — Team 2, player-9 (67')"],
        },
      },
    },
    HighlightPage: {
      type: 'object',
      required: ['matchId', 'total', 'limit', 'offset', 'items'],
      properties: {
        matchId: { type: 'string' },
        total: { ...count, description: 'Goals + red cards of the match' },
        limit: count,
        offset: count,
        items: { type: 'array', items: ref('Highlight') },
      },
    },
    TopPlayer: {
      type: 'object',
      required: ['playerId', 'teamId', 'events', 'goals', 'shots'],
      properties: {
        playerId: { type: 'string' },
        teamId: { type: 'integer' },
        events: count,
        goals: count,
        shots: { ...count, description: '`shot` events (goals are counted separately)' },
      },
    },
    PlayerList: {
      type: 'object',
      required: ['matchId', 'by', 'items'],
      properties: {
        matchId: { type: 'string' },
        by: { type: 'string', enum: [...PLAYER_SORTS] },
        items: { type: 'array', items: ref('TopPlayer') },
      },
    },
  },
};
