import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressServerOptions } from './express-server';

/** Serves `app` as the api does, answers one request, and says what the request looked like as it arrived. */
async function serveOnce(app: express.Express, path: string, init?: RequestInit) {
  const arrived: { request?: object; response?: object } = {};
  const options = expressServerOptions(app);
  const server = http.createServer(options, (req, res) => {
    arrived.request = Object.getPrototypeOf(req) as object;
    arrived.response = Object.getPrototypeOf(res) as object;
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}${path}`, init);
    return { arrived, status: answer.status, headers: answer.headers, body: await answer.text() };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('expressServerOptions', () => {
  it("builds requests and responses with the app's prototypes, so express never swaps them", async () => {
    const app = express();
    app.post('/echo/:id', express.json(), (req, res) => {
      res.status(201).json({ id: req.params.id, body: req.body as unknown, path: req.path, ip: req.ip });
    });
    const { arrived, status, body } = await serveOnce(app, '/echo/7?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(arrived.request).toBe(app.request);
    expect(arrived.response).toBe(app.response);
    expect(status).toBe(201);
    expect(JSON.parse(body)).toEqual({ id: '7', body: { a: 1 }, path: '/echo/7', ip: '127.0.0.1' });
  });

  it("keeps what was set on app.request and app.response, and node's own classes underneath", async () => {
    const app = express();
    (app.request as unknown as { greeting: string }).greeting = 'hello';
    app.get('/', (req, res) => {
      res.json({
        greeting: (req as unknown as { greeting: string }).greeting,
        app: req.app === app,
        incoming: req instanceof http.IncomingMessage,
        outgoing: res instanceof http.ServerResponse,
      });
    });
    const { status, body } = await serveOnce(app, '/');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ greeting: 'hello', app: true, incoming: true, outgoing: true });
  });

  it('gives an app the same classes when asked again', () => {
    const app = express();
    const first = expressServerOptions(app);
    expect(expressServerOptions(app)).toBe(first);
    expect(app.request).toBe(first.IncomingMessage!.prototype);
  });

  it("hands a request back with the app's prototypes after a mounted sub-app", async () => {
    const app = express();
    const sub = express();
    const options = expressServerOptions(app);
    app.use('/sub', sub);
    sub.get('/on', (_req, _res, next) => next());
    app.get('/sub/on', (req, res) => {
      res.json({ app: req.app === app, request: Object.getPrototypeOf(req) === app.request });
    });
    expect(app.request).toBe(options.IncomingMessage!.prototype);
    expect(JSON.parse((await serveOnce(app, '/sub/on')).body)).toEqual({ app: true, request: true });
  });

  it('leaves a mounted sub-app its own prototypes', async () => {
    const app = express();
    const sub = express();
    (sub.request as unknown as { area: string }).area = 'sub';
    sub.get('/where', (req, res) => res.send((req as unknown as { area?: string }).area ?? 'none'));
    app.use('/sub', sub);
    app.get('/where', (req, res) => res.send((req as unknown as { area?: string }).area ?? 'none'));
    expect((await serveOnce(app, '/sub/where')).body).toBe('sub');
    expect((await serveOnce(app, '/where')).body).toBe('none');
  });
});
