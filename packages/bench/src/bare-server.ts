/**
 * The ingest benchmark's baseline: bare express 5 with the JSON body parser, answering 202 without validation,
 * Kafka, metrics or logging, in the API's answer shapes. Run as its own process by ingest.ts; listens on PORT,
 * says "ready".
 */
import express from 'express';

const app = express();
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
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
