import type { ApiExtension } from '../context';
import { createMatchesRouter } from './router';
import { readOpenApi } from './openapi';
import { ReadService, type ReadServiceOptions } from './service';

export { ReadService, highlightTitle, type MetricsBody, type ReadServiceOptions } from './service';
export { ResponseTimeWindow, type Percentiles } from '../ingest/response-times';

export interface ReadApi {
  /** Pass to createApp/startApi `extensions`. */
  extension: ApiExtension;
  /** The service behind the routes, once the app has been built. */
  readonly service: ReadService | undefined;
  /** Stops the shared poll and ends every live stream. Idempotent. */
  close(): void;
}

export type ReadApiOptions = Omit<
  ReadServiceOptions,
  'logger' | 'registry' | 'responseTimes' | 'streamOpened'
> & {
  clickhouse: ReadServiceOptions['clickhouse'];
};

/**
 * The read API as an extension of the app: its routes get the app's logger, registry, load shedding and the
 * ingest routes' response-time window. `close()` ends its live streams (startApi calls it when it drains).
 */
export function createReadApi(options: ReadApiOptions): ReadApi {
  let service: ReadService | undefined;
  let closed = false;
  return {
    extension: {
      openapi: readOpenApi,
      router: (ctx) => {
        service?.close();
        service = new ReadService({
          ...options,
          logger: ctx.logger,
          registry: ctx.registry,
          responseTimes: ctx.responseTimes,
          streamOpened: (res) => ctx.lifecycle.detach(res),
        });
        if (!closed) service.start();
        return createMatchesRouter(ctx, service);
      },
    },
    get service() {
      return service;
    },
    close() {
      closed = true;
      service?.close();
    },
  };
}
