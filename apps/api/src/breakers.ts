import { CircuitBreaker, type BreakerSettings } from '@pitchpulse/breaker';
import { classifyClickHouseError, clickHouseErrorCode, type ClickHouseStore } from '@pitchpulse/clickhouse';
import { ProduceFailedError, ProduceTimeoutError } from '@pitchpulse/kafka';
import type { Logger, Registry } from '@pitchpulse/observability';
import type { Span } from '@pitchpulse/tracing';
import type { EventProducer } from './context';

/** The API's circuit breakers: one on the produce path, one on the read routes' ClickHouse calls. */
export interface ApiBreakers {
  /** Opens on Kafka produce timeouts and refusals; open, ingest answers 503 at once and /ready is not ready. */
  produce: CircuitBreaker;
  /** Opens on ClickHouse connection errors, timeouts and server errors; open, reads answer 503 at once. */
  read: CircuitBreaker;
}

/**
 * Kafka did not acknowledge or refused: the dependency is failing. A full producer queue (local backpressure)
 * and a producer not yet connected or closing are not counted.
 */
const isKafkaOutage = (err: unknown): boolean =>
  err instanceof ProduceTimeoutError || err instanceof ProduceFailedError;

/** ClickHouse unreachable, timing out, or answering with a server error; not a request it rejected for its data. */
function isClickHouseOutage(err: unknown): boolean {
  const kind = classifyClickHouseError(err);
  return kind === 'unavailable' || (kind === 'transient' && clickHouseErrorCode(err) !== undefined);
}

export function createApiBreakers(
  settings: BreakerSettings,
  logger: Logger,
  registry: Registry,
): ApiBreakers {
  return {
    produce: new CircuitBreaker({
      ...settings,
      name: 'kafka-produce',
      isOutage: isKafkaOutage,
      logger,
      registry,
    }),
    read: new CircuitBreaker({
      ...settings,
      name: 'clickhouse-read',
      isOutage: isClickHouseOutage,
      logger,
      registry,
    }),
  };
}

/** Every send goes through the breaker. */
export function guardProducer(producer: EventProducer, breaker: CircuitBreaker): EventProducer {
  return {
    send: (messages, options) => breaker.run(() => producer.send(messages, options)),
    sendWaitingNow: () => producer.sendWaitingNow?.(),
  };
}

/**
 * The store with each of its (async) read methods called through the breaker: request handlers and the
 * background polls alike, so the polls notice an outage too and stop calling ClickHouse while it is open. Its
 * traced views (`under`) are guarded alike.
 */
export function guardStore(store: ClickHouseStore, breaker: CircuitBreaker): ClickHouseStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'under') {
        return (parent: Span | undefined) => {
          const view = target.under(parent);
          return view === target ? receiver : guardStore(view, breaker);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'constructor') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => breaker.run(() => method.apply(target, args));
    },
  });
}
