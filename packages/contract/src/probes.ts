import { Type, type Static } from '@sinclair/typebox';
import { Closed, DateTime, oneOf } from './schema';

/** `GET /health` (liveness: the process is alive; no dependency is called). 503 with `unhealthy` and a reason. */
export const Health = Closed(
  'Health',
  {
    status: oneOf(['healthy', 'unhealthy'] as const),
    timestamp: DateTime({ description: 'Server time of the answer' }),
    uptimeSeconds: Type.Integer({ minimum: 0 }),
    reason: Type.Optional(
      Type.String({ description: 'Why the process is unhealthy (e.g. its loop stalled)' }),
    ),
  },
  { description: '200 `healthy`; 503 `unhealthy` when the process can no longer make progress.' },
);
export type Health = Static<typeof Health>;

export const CHECK_STATUSES = ['healthy', 'unhealthy'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** A circuit breaker's state: `open` = calls to the dependency fail at once; `half_open` = one probe call let through. */
export const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;
export type BreakerStatus = (typeof BREAKER_STATES)[number];

/** `GET /ready`: 200 `ready` or 503 `not_ready`; each dependency `healthy` or `unhealthy`, failures explained. */
export const Readiness = Closed(
  'Readiness',
  {
    status: oneOf(['ready', 'not_ready'] as const),
    timestamp: DateTime({ description: 'Server time of the answer' }),
    checks: Closed('ReadinessChecks', {
      kafka: Type.Optional(
        oneOf(CHECK_STATUSES, { description: 'Absent for a process without Kafka (the enricher)' }),
      ),
      clickhouse: oneOf(CHECK_STATUSES),
    }),
    draining: Type.Boolean({ description: 'Shutting down: finishing accepted work, taking no new work' }),
    breakers: Type.Optional(
      Closed(
        'ReadinessBreakers',
        {
          kafka: Type.Optional(
            oneOf(BREAKER_STATES, {
              description: 'The produce path: open = ingest answers 503 at once (the API is not ready)',
            }),
          ),
          clickhouse: Type.Optional(
            oneOf(BREAKER_STATES, {
              description:
                'The read routes: open = they answer 503 at once (ingest, hence readiness, unaffected)',
            }),
          ),
        },
        { description: 'The circuit breakers of the process by dependency (the API only)' },
      ),
    ),
    reasons: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          'Why each unhealthy check (or `draining`, `startup`) is so; absent when everything is healthy',
      }),
    ),
  },
  {
    description:
      'The API is ready while it can accept writes (Kafka reachable, its produce breaker not open, not draining): ' +
      'ClickHouse and its read breaker are reported but ' +
      'do not make it not_ready. The consumer is ready when it is in its group and ClickHouse answers; the ' +
      'enricher when ClickHouse answers.',
  },
);
export type Readiness = Static<typeof Readiness>;
