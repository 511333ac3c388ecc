import { buildOpenApi } from '@pitchpulse/contract';
import { createLogger, createRegistry } from '@pitchpulse/observability';
import { createApp } from '../app';
import { listen, testConfig, testChecks } from '../testing';

describe('API documentation routes', () => {
  it('is served at /openapi.json and shown by Swagger UI at /docs', async () => {
    const config = testConfig();
    const app = createApp({
      config,
      logger: createLogger('api', { level: 'silent' }),
      registry: createRegistry(),
      producer: { send: async () => undefined },
      checks: testChecks(),
    });
    const api = await listen(app);
    try {
      const served = await (await fetch(`${api.url}/openapi.json`)).json();
      expect(served).toEqual(JSON.parse(JSON.stringify(buildOpenApi({ apiKeys: false }))));
      const docs = await fetch(`${api.url}/docs/`);
      expect(docs.status).toBe(200);
      const html = await docs.text();
      expect(html).toContain('swagger-ui');
      expect(html).toContain('<title>PitchPulse API</title>');
      const init = await (await fetch(`${api.url}/docs/swagger-ui-init.js`)).text();
      expect(init).toContain('"/api/events/batch"');
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/docs",status="200"\}/);
    } finally {
      await api.close();
    }
  });
});
