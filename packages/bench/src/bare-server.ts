/**
 * The ingest benchmark's baseline: bare express 5 with the JSON body parser, answering 202 without validation,
 * Kafka, metrics or logging, in the API's answer shapes. Run as its own process by ingest.ts; listens on PORT,
 * says "ready"; BARE_SERVE (below) says how express is served. With OTEL_* variables it records the api's server
 * span for each request and nothing else: what the tracing SDK itself costs per request.
 */
import http from 'node:http';
import express, { type RequestHandler } from 'express';
import { expressServerOptions } from '@pitchpulse/http';
import { endServerSpan, startServerSpan, startTracing } from '@pitchpulse/tracing';

/** The api's request span (the same helper apps/api/src/http/observe.ts calls, at the same moments). */
const serverSpan: RequestHandler = (req, res, next) => {
  const span = startServerSpan({
    method: req.method,
    path: req.path,
    headers: req.headers,
    requestId: 'bare',
  })!;
  res.once('close', () =>
    endServerSpan(span, () => ({
      method: req.method,
      route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched',
      statusCode: res.statusCode,
      aborted: !res.writableFinished,
    })),
  );
  next();
};

const tracing = startTracing('bare express');
const app = express();
if (tracing.enabled) app.use(serverSpan);
app.post('/api/events', express.json(), (req, res) => {
  const body = req.body as { eventId?: string };
  res.status(202).json({ eventId: body.eventId, status: 'accepted', timestamp: new Date().toISOString() });
});
app.post('/api/events/batch', express.json({ limit: '5mb' }), (req, res) => {
  const { events } = req.body as { events: Array<{ eventId?: string }> };
  res.status(202).json({
    status: 'accepted',
    timestamp: new Date().toISOString(),
    accepted: events.map((e, index) => ({ index, eventId: e.eventId })),
    rejected: [],
  });
});
// BARE_SERVE=listen (the default): served as express serves an app (`app.listen`), which swaps each request's and
// response's prototype; BARE_SERVE=api: served as the api is (@pitchpulse/http), which does not.
const serve = process.env.BARE_SERVE ?? 'listen';
if (serve !== 'listen' && serve !== 'api') throw new Error(`BARE_SERVE must be listen or api, not ${serve}`);
const server = serve === 'api' ? http.createServer(expressServerOptions(app), app) : http.createServer(app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
process.once('SIGTERM', () => server.close(() => void tracing.shutdown().then(() => process.exit(0))));
