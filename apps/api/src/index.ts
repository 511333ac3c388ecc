export { createApp, type AppDeps } from './app';
export { parseConfig, type ApiConfig } from './config';
export type { ApiExtension, AppContext, EventSink, OpenApiFragment, ReadinessCheck } from './context';
export { Lifecycle } from './http/lifecycle';
export { buildOpenApi, type OpenApiOptions } from './openapi';
export {
  PROBLEM_CONTENT_TYPE,
  Problem,
  invalidEvent,
  methodNotAllowed,
  problemTypeUri,
  sendProblem,
  type ProblemInit,
  type ProblemType,
} from './http/problem';
export { routeLabel } from './http/http-metrics';
export { createReadApi, type ReadApi, type ReadApiOptions } from './read';
export { startApi, type RunningApi, type StartApiOptions } from './server';
