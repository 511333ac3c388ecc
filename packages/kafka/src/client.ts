import { Kafka, logLevel, type KafkaConfig, type LogEntry, type RetryOptions } from 'kafkajs';
import type { Logger } from '@pitchpulse/observability';
import { registerCodecs } from './codecs';

export interface CreateKafkaOptions {
  brokers: string[];
  clientId: string;
  /** Where kafkajs logs go; silent when omitted. */
  logger?: Logger;
  /** TCP connect timeout per broker (ms); default 1000. */
  connectionTimeout?: number;
  /** Wait for a broker response (ms); default 5000. */
  requestTimeout?: number;
  /** kafkajs retry policy for the client (producers and consumers can override it). */
  retry?: RetryOptions;
}

/** kafkajs repeats the same connection error many times a second while a broker is down. */
const REPEAT_WINDOW_MS = 10_000;

/**
 * Maps kafkajs log levels onto pino's: kafkajs ERROR lines are mostly transient connection failures it retries
 * itself, so they become `warn`; its INFO lines (joins, starts) become `debug`. An identical line repeated
 * within 10 s is counted instead of written, so a down broker gives a line every 10 s, not a storm.
 */
export function kafkaLogCreator(logger: Logger): KafkaConfig['logCreator'] {
  const recent = new Map<string, { at: number; suppressed: number }>();
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...extra } = log;
      const key = `${level}|${namespace}|${message}|${String(extra.broker ?? '')}`;
      const now = Date.now();
      const seen = recent.get(key);
      if (seen && now - seen.at < REPEAT_WINDOW_MS) {
        seen.suppressed++;
        return;
      }
      if (recent.size > 1000) recent.clear();
      recent.set(key, { at: now, suppressed: 0 });
      const fields = {
        component: 'kafkajs',
        namespace,
        ...extra,
        ...(seen ? { repeated: seen.suppressed } : {}),
      };
      switch (level) {
        case logLevel.ERROR:
        case logLevel.WARN:
          logger.warn(fields, message);
          break;
        case logLevel.INFO:
          logger.debug(fields, message);
          break;
        default:
          logger.trace(fields, message);
      }
    };
}

/**
 * The one place a kafkajs client is made, so the client library can be swapped behind this package. It registers
 * the snappy, lz4 and zstd codecs, so whatever a PitchPulse producer wrote, every client can read.
 */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const { logger } = options;
  registerCodecs();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeout ?? 1000,
    requestTimeout: options.requestTimeout ?? 5000,
    retry: options.retry ?? { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logger ? logLevel.INFO : logLevel.NOTHING,
    ...(logger ? { logCreator: kafkaLogCreator(logger) } : {}),
  });
}
