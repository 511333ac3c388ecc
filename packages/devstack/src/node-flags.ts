/**
 * Node flags the api and the consumer run with, wherever they are started: the image (infra/docker/Dockerfile's
 * CMD carries the same; infra/checks compares), `npm start` and the benchmarks. A 64 MiB young generation,
 * because both make short-lived objects per event and V8's default (16 MiB) collects them too often (consumer:
 * +16 % events/s).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
