import SwaggerParser from '@apidevtools/swagger-parser';
import { eventBatchSchema, matchEventSchema, validateBatch, validateEvent } from '@pitchpulse/events';
import { createLogger, createRegistry } from '@pitchpulse/observability';
import { createApp } from './app';
import { buildOpenApi } from './openapi';
import { listen, testConfig } from './testing';

describe('OpenAPI document', () => {
  it('validates as OpenAPI 3.1 (with and without API keys)', async () => {
    for (const apiKeys of [false, true]) {
      const doc = buildOpenApi({ apiKeys });
      const api = await SwaggerParser.validate(structuredClone(doc) as never);
      expect(api.info.title).toBe('PitchPulse API');
    }
  });

  it('carries the contract from the events package unchanged (one source of truth)', () => {
    const doc = buildOpenApi({ apiKeys: false }) as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const { $id: _a, ...event } = matchEventSchema;
    expect(doc.components.schemas.MatchEvent).toEqual(JSON.parse(JSON.stringify(event)));
    const batch = doc.components.schemas.EventBatch as { properties: { events: Record<string, unknown> } };
    expect(batch.properties.events).toMatchObject({
      maxItems: eventBatchSchema.properties.events.maxItems,
      items: { $ref: '#/components/schemas/MatchEvent' },
    });
  });

  it('shows examples that the API accepts (the batch example has one invalid event on purpose)', () => {
    type Body = { content: Record<string, { example: unknown }> };
    const paths = (
      buildOpenApi({ apiKeys: false }) as unknown as {
        paths: Record<string, { post: { requestBody: Body } }>;
      }
    ).paths;
    const single = paths['/api/events']!.post.requestBody.content['application/json']!.example;
    expect(validateEvent(single)).toEqual({ ok: true, value: single });
    const batch = validateBatch(
      paths['/api/events/batch']!.post.requestBody.content['application/json']!.example,
    );
    expect(batch).toMatchObject({ ok: true, value: { valid: [{ index: 0 }], invalid: [{ index: 1 }] } });
  });

  it('documents security and the 401/403 answers only when API keys are configured', () => {
    type Doc = { paths: Record<string, { post: { responses: object; security: unknown } }> };
    const open = buildOpenApi({ apiKeys: false }) as unknown as Doc;
    const keyed = buildOpenApi({ apiKeys: true }) as unknown as Doc;
    const responses = (d: Doc) => Object.keys(d.paths['/api/events']!.post.responses);
    expect(responses(open)).not.toContain('401');
    expect(responses(keyed)).toEqual(
      expect.arrayContaining(['202', '400', '401', '403', '413', '415', '429', '503']),
    );
    expect(keyed.paths['/api/events']!.post.security).toEqual([{ ApiKey: [] }]);
  });

  it('is served at /openapi.json and shown by Swagger UI at /docs', async () => {
    const config = testConfig();
    const app = createApp({
      config,
      logger: createLogger('api', { level: 'silent' }),
      registry: createRegistry(),
      producer: { send: async () => undefined },
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
