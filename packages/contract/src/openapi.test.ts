import SwaggerParser from '@apidevtools/swagger-parser';
import { EventBatch, MatchEvent } from './event';
import { buildOpenApi } from './openapi';
import { PeakMinute } from './read';
import { validatorFor } from './validators';

describe('OpenAPI document', () => {
  it('validates as OpenAPI 3.1 (with and without API keys)', async () => {
    for (const apiKeys of [false, true]) {
      const doc = buildOpenApi({ apiKeys });
      const api = await SwaggerParser.validate(structuredClone(doc) as never);
      expect(api.info.title).toBe('PitchPulse API');
    }
  });

  it('carries the schemas ajv validates with, unchanged (one source of truth)', () => {
    const doc = buildOpenApi({ apiKeys: false }) as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    expect(doc.components.schemas.MatchEvent).toEqual(JSON.parse(JSON.stringify(MatchEvent)));
    expect(doc.components.schemas.EventBatch).toEqual(JSON.parse(JSON.stringify(EventBatch)));
    // Nested named shapes are components of their own, referenced where they are used.
    const metrics = doc.components.schemas.MatchMetrics as { properties: Record<string, unknown> };
    expect(metrics.properties.peakMinute).toEqual({ $ref: '#/components/schemas/PeakMinute' });
    expect(doc.components.schemas.PeakMinute).toEqual(JSON.parse(JSON.stringify(PeakMinute)));
  });

  it('refers only to components it defines', () => {
    const doc = buildOpenApi({ apiKeys: true }) as { components: { schemas: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(20);
    for (const name of refs) expect(Object.keys(doc.components.schemas)).toContain(name);
  });

  it('shows examples that the API accepts (the batch example has one invalid event on purpose)', () => {
    type Body = { content: Record<string, { example: unknown }> };
    const paths = (
      buildOpenApi({ apiKeys: false }) as unknown as {
        paths: Record<string, { post: { requestBody: Body } }>;
      }
    ).paths;
    const single = paths['/api/events']!.post.requestBody.content['application/json']!.example;
    expect(validatorFor(MatchEvent)(single)).toBe(true);
    const batch = paths['/api/events/batch']!.post.requestBody.content['application/json']!.example as {
      events: unknown[];
    };
    expect(validatorFor(EventBatch)(batch)).toBe(true);
    expect(batch.events.map((e) => validatorFor(MatchEvent)(e))).toEqual([true, false]);
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
});
