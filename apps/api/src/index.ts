export { createApp, readServiceOf, type AppDeps } from './app';
export { parseConfig, type ApiConfig } from './config';
export type { AppContext, DependencyChecks, EventProducer } from './context';
export { Lifecycle } from './http/lifecycle';
export { ProblemError, invalidEvent, methodNotAllowed, sendProblem, type ProblemInit } from './http/problem';
export { routeLabel } from './http/http-metrics';
export { ReadService, type ReadOptions, type ReadServiceOptions } from './read/service';
export { ResponseTimeWindow } from './ingest/response-times';
export { startApi, type RunningApi, type StartApiOptions } from './start';
