import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The JSON logger both apps use: level from LOG_LEVEL (default info), one `service` field per app. */
export function createLogger(
  service: string,
  options: LoggerOptions = {},
  destination?: DestinationStream,
): Logger {
  const level = process.env.LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(level))
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}; got "${level}"`);
  const config: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['apiKey', 'req.headers["x-api-key"]', 'headers["x-api-key"]'], censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(config, destination) : pino(config);
}
