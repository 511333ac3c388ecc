import { MAX_BATCH_EVENTS, eventBatchSchema, matchEventSchema } from '@pitchpulse/events';
import type { OpenApiFragment } from './context';
import { PROBLEM_TYPES, problemTypeUri, type ProblemType } from './http/problem';

export interface OpenApiOptions {
  /** Whether API keys are configured (x-api-key required on /api routes). */
  apiKeys: boolean;
  version?: string;
  extensions?: OpenApiFragment[];
}

/** A JSON Schema made fit for components/schemas: no `$id` (refs resolve against the document). */
function component<T extends object>(schema: T): Record<string, unknown> {
  const { $id: _id, ...rest } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, example?: unknown) => ({
  'application/json': { schema, ...(example === undefined ? {} : { example }) },
});
const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
};

/** The contract's own examples (first example, else first allowed value, of each property). */
const exampleEvent = Object.fromEntries(
  Object.entries(matchEventSchema.properties).map(([name, property]) => {
    const p = property as { examples?: readonly unknown[]; enum?: readonly unknown[] };
    return [name, p.examples?.[0] ?? p.enum?.[0]];
  }),
);

/**
 * The OpenAPI 3.1 document, built from the events package's JSON Schemas (the same objects ajv compiles), so
 * the docs cannot drift from what the API enforces.
 */
export function buildOpenApi(options: OpenApiOptions): Record<string, unknown> {
  const batch = component(eventBatchSchema) as { properties: { events: Record<string, unknown> } };
  // Documented as MatchEvent items; each one is validated on its own (partial acceptance).
  batch.properties.events = { ...batch.properties.events, items: ref('MatchEvent') };
  const security = options.apiKeys ? [{ ApiKey: [] }] : [];
  const writeErrors = {
    '400': problem('Malformed JSON, no body, or an invalid event: `errors` lists every field'),
    ...(options.apiKeys
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
  const extensions = options.extensions ?? [];
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
      { name: 'operations', description: 'Probes and metrics' },
      ...extensions.flatMap((e) => e.tags ?? []),
    ],
    paths: {
      '/api/events': {
        post: {
          tags: ['ingest'],
          operationId: 'ingestEvent',
          summary: 'Send one match event',
          security,
          requestBody: { required: true, content: json(ref('MatchEvent'), exampleEvent) },
          responses: {
            '202': {
              description: 'Durably written to Kafka',
              content: json(ref('EventAccepted')),
            },
            ...writeErrors,
          },
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
            content: json(ref('EventBatch'), { events: [exampleEvent, { ...exampleEvent, teamId: 3 }] }),
          },
          responses: {
            '202': {
              description:
                'Every valid event is durably written to Kafka; invalid ones are listed in `rejected`',
              content: json(ref('BatchAccepted')),
            },
            ...writeErrors,
          },
        },
      },
      '/health': {
        get: {
          tags: ['operations'],
          operationId: 'health',
          summary: 'Liveness: the process is up (no dependency checks)',
          responses: { '200': { description: 'Alive', content: json(ref('Health')) } },
        },
      },
      '/ready': {
        get: {
          tags: ['operations'],
          operationId: 'ready',
          summary: 'Readiness: Kafka and ClickHouse reachable and not shutting down',
          responses: {
            '200': { description: 'Ready; every check passed', content: json(ref('Readiness')) },
            '503': {
              description: 'Not ready; `checks` tells which dependency failed',
              content: json(ref('Readiness')),
            },
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
      ...Object.assign({}, ...extensions.map((e) => e.paths ?? {})),
    },
    components: {
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: {
        MatchEvent: component(matchEventSchema),
        EventBatch: batch,
        EventAccepted: {
          type: 'object',
          required: ['eventId', 'status', 'timestamp'],
          properties: {
            eventId: { type: 'string', format: 'uuid' },
            status: { const: 'accepted' },
            timestamp: { type: 'string', format: 'date-time', description: 'When the server received it' },
          },
        },
        BatchAccepted: {
          type: 'object',
          required: ['status', 'timestamp', 'accepted', 'rejected'],
          properties: {
            status: { enum: ['accepted', 'partially_accepted'] },
            timestamp: { type: 'string', format: 'date-time', description: 'When the server received it' },
            accepted: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'eventId'],
                properties: { index: { type: 'integer' }, eventId: { type: 'string', format: 'uuid' } },
              },
            },
            rejected: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'errors'],
                properties: {
                  index: { type: 'integer' },
                  errors: { type: 'array', items: ref('FieldError') },
                },
              },
            },
          },
        },
        FieldError: {
          type: 'object',
          required: ['path', 'message'],
          properties: {
            path: { type: 'string', description: 'JSON Pointer to the field', examples: ['/teamId'] },
            message: { type: 'string', examples: ['must be 1 or 2'] },
          },
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          required: ['type', 'title', 'status'],
          properties: {
            type: {
              type: 'string',
              enum: Object.keys(PROBLEM_TYPES).map((t) => problemTypeUri(t as ProblemType)),
            },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: { type: 'array', items: ref('FieldError') },
            requestId: { type: 'string', description: 'The x-request-id of the request' },
          },
          'x-problem-types': Object.fromEntries(
            Object.entries(PROBLEM_TYPES).map(([t, d]) => [problemTypeUri(t as ProblemType), d]),
          ),
        },
        Health: { type: 'object', properties: { status: { const: 'ok' } } },
        Readiness: {
          type: 'object',
          required: ['status', 'checks'],
          properties: {
            status: { enum: ['ready', 'not_ready'] },
            checks: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'ok', 'durationMs'],
                properties: {
                  name: { type: 'string' },
                  ok: { type: 'boolean' },
                  durationMs: { type: 'number' },
                  error: { type: 'string' },
                },
              },
            },
          },
        },
        ...Object.assign({}, ...extensions.map((e) => e.schemas ?? {})),
      },
    },
  };
}
